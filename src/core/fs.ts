/** Small file-system helpers shared across layers. */
import { stat } from 'node:fs/promises';

/** True when something exists at the path (file, directory or other); never throws. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
