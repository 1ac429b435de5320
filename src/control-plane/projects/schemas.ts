import { Type, type Static } from 'typebox';

export const ProjectKeySchema = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'Lower-case letters, digits and dashes; starts with a letter or digit; at most 63 characters',
  examples: ['pricing'],
});

export const ProjectSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  key: Type.String(),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
});
export type Project = Static<typeof ProjectSchema>;

export const CreateProjectSchema = Type.Object(
  {
    key: ProjectKeySchema,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type CreateProject = Static<typeof CreateProjectSchema>;

export const ProjectParamsSchema = Type.Object({ project: Type.String({ minLength: 1, maxLength: 63 }) });
