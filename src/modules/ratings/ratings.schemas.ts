import { z } from 'zod';

const controlCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export const ratingBody = z
  .strictObject({
    stars: z.number().int().min(1).max(5).meta({ description: '1 (poor) to 5 (excellent)' }),
    comment: z.string().trim().max(1000).refine((s) => !controlCharacters.test(s), 'must not contain control characters').optional(),
  })
  .meta({ id: 'RateCourse', example: { stars: 5, comment: 'Clear and practical; the SQL exercises helped.' } });

export const ratingSchema = z
  .object({ enrolmentId: z.uuid(), courseId: z.uuid(), stars: z.number().int(), comment: z.string().nullable(), ratedAt: z.string() })
  .meta({ id: 'CourseRating' });

const distribution = z
  .object({ '1': z.number().int(), '2': z.number().int(), '3': z.number().int(), '4': z.number().int(), '5': z.number().int() })
  .meta({ description: 'How many ratings gave each number of stars' });

const figures = {
  count: z.number().int(),
  average: z.number().nullable().meta({ description: 'Mean stars, rounded to 2 decimals; null with no rating' }),
  distribution,
};

const courseFigures = z.object({ courseId: z.uuid(), title: z.string(), ...figures }).meta({ id: 'CourseRatingFigures' });

export const courseRatingsReportSchema = z
  .object({ providers: z.array(z.object({ providerId: z.uuid(), providerName: z.string(), ...figures, courses: z.array(courseFigures) })) })
  .meta({ id: 'CourseRatingsReport' });

export const providerRatingsSchema = z
  .object({
    providerId: z.uuid(), ...figures, courses: z.array(courseFigures),
    comments: z.array(z.object({ courseId: z.uuid(), stars: z.number().int(), comment: z.string(), ratedAt: z.string() })),
  })
  .meta({ id: 'ProviderCourseRatings' });
