import { z } from 'zod';
import { positiveAmountSchema } from '../../lib/money.js';

/**
 * A scheme's completion incentive, in its rules (absent: none). Paid to the
 * learner after an approved claim, and only once they rated the course when
 * `requiresRating` (Kartu Prakerja pays Rp600,000 after the learner's rating).
 */
export const incentiveTermsSchema = z
  .strictObject({
    amount: positiveAmountSchema.meta({ description: 'Paid to the learner, in minor units of the scheme\'s currency' }),
    requiresRating: z.boolean().default(false).meta({ description: 'Paid only once the learner has rated the course' }),
  })
  .meta({ id: 'IncentiveTerms', description: 'A completion incentive paid to the learner from the scheme\'s incentive budget' });

export type IncentiveTerms = z.output<typeof incentiveTermsSchema>;
