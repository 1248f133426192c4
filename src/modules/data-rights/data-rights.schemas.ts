import { z } from 'zod';
import { cursorDate, pageQuery } from '../../lib/cursor.js';
import { movementSchema } from '../accounts/accounts.schemas.js';
import { learnerSchema } from '../learners/learners.schemas.js';
import { learnerTables } from './data-export.repo.js';

const row = z.record(z.string(), z.unknown()).meta({ example: { id: '0193e2b1-5c0a-7d3e-8f41-2a6b9c0d1e2f', learnerId: '0193e2b1-5c0a-7d3e-8f41-2a6b9c0d1e30', amount: '30000', currency: 'SGD', createdAt: '2027-03-01T09:30:00.000Z' } });

export const dataExportSchema = z
  .object({
    exportedAt: z.string().meta({ example: '2027-03-01T09:30:00.000Z' }),
    profile: learnerSchema,
    movements: z.array(movementSchema).meta({ description: 'Every movement of the learner\'s credit, newest first' }),
    ...Object.fromEntries(learnerTables.map((t) => [t.section, z.array(row).meta({ description: `Rows of ${t.table} that are the learner's; amounts are strings of minor units beside their currency` })])),
  })
  .meta({ id: 'LearnerDataExport' });

export const staffReadSchema = z
  .object({
    id: z.uuid(),
    readerSubject: z.string().meta({ example: 'oidc:counter-7', description: 'Who read it, as the audit trail names them' }),
    readerRole: z.string().meta({ example: 'counter' }),
    operation: z.string().meta({ example: 'openCounterVisit', description: 'The operation (route or page) that read it' }),
    purpose: z.string().meta({ example: 'learner asked at the counter to answer a request', description: 'The reader\'s reason, or the operation\'s declared purpose' }),
    requestId: z.string().nullable().meta({ example: '0193e2b1-5c0a-7d3e-8f41-2a6b9c0d1e2f' }),
    at: z.string(),
  })
  .meta({ id: 'StaffDataRead' });

export const staffReadsQuery = z.strictObject(pageQuery);
export const staffReadCursor = z.object({ at: cursorDate, id: z.uuid() });

export const erasureBody = z
  .strictObject({
    reason: z.string().trim().min(10, 'say on what lawful request the data is erased (at least 10 characters): a reference, not the person\'s details').max(500),
  })
  .meta({ id: 'ErasureRequest' });
