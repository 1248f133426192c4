import { completionCredential } from '../credentials/credential-shape.js';

/** The credential a claim carries, drawn by the same builder the credential CLI signs with, so the docs cannot drift. */
const example = completionCredential({
  providerId: '<providerId>',
  issuerName: 'Academy Sdn Bhd',
  subjectId: '<learnerSubjectId>',
  id: 'urn:uuid:<a fresh UUID per credential>',
  validFrom: new Date('2027-03-29T09:00:00Z'),
  validUntil: new Date('2028-03-29T09:00:00Z'),
  attendanceBps: 9000,
  status: 'Completed',
  grade: 'A',
  course: {
    courseId: '<courseId>',
    title: 'Data Analytics Fundamentals',
    hours: 50,
    microCredential: {
      credits: { value: '2', system: 'ECTS' },
      level: { framework: 'EQF', value: 5 },
      skills: ['http://data.europa.eu/esco/skill/0a0b1e0c-3c3b-4f7e-9e7a-3c5f6b2d1e4a', 'sfw:DAT-ANA-3001-1.1'],
      assessmentType: 'Proctored online exam',
      participationForm: 'online',
      qualityAssurance: 'MQA accredited programme',
      learningOutcomes: ['Cleans and joins tabular data with SQL'],
      awardingCountry: 'MY',
    },
  },
});

export const claimCredentialDescription = `

**The credential.** A VC-JWT: a compact JWS (protected header \`{"alg": "EdDSA" | "ES256", "kid": <the kid the service gave the registered key>, "typ": "vc+jwt"}\`) whose payload is an Open Badges 3.0 \`OpenBadgeCredential\`:

- \`issuer.id\` is \`urn:learning-credits:provider:<providerId>\`; \`credentialSubject.id\` is the learner's pseudonymous \`subjectId\` (GET /v1/enrolments/{id} shows it as \`learnerSubjectId\`), never a national id; \`credentialSubject.achievement.id\` is \`urn:learning-credits:course:<courseId>\`; for a milestone claim on a modular course it is instead the \`achievementId\` the course lists for the claimed module (GET /v1/courses/{id} \`modules\`), and the course's level and workload are not compared with it.
- \`credentialSubject.result\` holds the outcome, \`{"resultDescription": "urn:learning-credits:result:outcome", "status": "Completed" | "Failed", "value": <grade, optional>}\` (missing: \`result_missing\`; not Completed: \`result_failed\`), and, where the scheme sets a minimum attendance, \`{"resultDescription": "urn:learning-credits:result:attendance", "value": <percent, such as "90" or "75.5">}\` (missing: \`attendance_missing\`; lower: \`attendance_below_minimum\`). They are signed: a claim body with \`attendanceBps\` or \`result\` is a 422.
- The achievement carries the course's micro-credential (\`achievementType\` MicroCredential, \`alignment\` for its skills, \`criteria.narrative\` its learning outcomes, the EU elements in \`euMicroCredential\`). A signed level other than the course's is \`achievement_level_mismatch\`; other learning hours or credits are \`achievement_workload_mismatch\`.
- Issue time is \`iat\` when present, else \`validFrom\`; it must fall after the run started.

\`\`\`json
${JSON.stringify(example, null, 2)}
\`\`\``;
