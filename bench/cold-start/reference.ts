import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { transformSync } from 'esbuild';
import { PROJECT_ROOT } from '../../lib/project-root';

/** The reference: every module under lambda/ transpiled on its own to CommonJS, node_modules beside it. */
export function transpileReference(into: string): string {
  const root = join(into, 'reference');
  const walk = (folder: string) => {
    for (const item of readdirSync(join(PROJECT_ROOT, folder), { withFileTypes: true })) {
      const path = join(folder, item.name);
      if (item.isDirectory()) walk(path);
      else if (item.name.endsWith('.ts')) {
        const out = join(root, path.replace(/\.ts$/, '.js'));
        mkdirSync(dirname(out), { recursive: true });
        const { code } = transformSync(readFileSync(join(PROJECT_ROOT, path), 'utf8'), {
          loader: 'ts',
          format: 'cjs',
          platform: 'node',
          target: 'node20',
        });
        writeFileSync(out, code);
      } else if (item.name.endsWith('.js')) writeFileSync(join(root, path), readFileSync(join(PROJECT_ROOT, path)));
    }
  };
  walk('lambda');
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}
