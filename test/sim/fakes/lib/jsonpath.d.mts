/** Types for the sim's TypeScript code, which reuses the fakes' kubectl-style JSONPath renderer. */
export function renderJsonPath(template: string, data: unknown): string;
