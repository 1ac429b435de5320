import { Alert, type FormInstance } from 'antd';
import { ProblemError } from '../api/client';

const fieldOf = (path: string | undefined) => path?.replace(/^\//, '');

/**
 * Puts the server's validation errors on the form fields they name (`errors[].path` such as
 * `/key`), so a refused form says which field is wrong in the server's own words.
 */
export function showFieldErrors(form: FormInstance, error: unknown, fields: readonly string[]): void {
  if (!(error instanceof ProblemError)) return;
  const byField = new Map<string, string[]>();
  for (const item of error.problem.errors ?? []) {
    const field = fieldOf(item.path);
    if (field === undefined || !fields.includes(field)) continue;
    byField.set(field, [...(byField.get(field) ?? []), item.message]);
  }
  form.setFields([...byField].map(([name, errors]) => ({ name, errors })));
}

/** A form's refusal, unless every part of it already shows on a field (see showFieldErrors). */
export function FormProblem({ error, fields }: { error: Error | null; fields: readonly string[] }) {
  if (error === null) return null;
  const items = error instanceof ProblemError ? (error.problem.errors ?? []) : [];
  if (items.length > 0 && items.every((item) => fields.includes(fieldOf(item.path) ?? ''))) return null;
  return <Alert type="error" showIcon role="alert" message={error.message} />;
}
