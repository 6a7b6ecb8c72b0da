import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The modules of `lambda/core/` import one another without a cycle, type-only imports included:
 * a cycle means two modules are one in disguise, and the order they load in starts to matter.
 */

const CORE = join(__dirname, '../../lambda/core');

/** `import … from './x'` and `export … from './x'`, over several lines too, and `import './x'`. */
const LOCAL_SPECIFIER = /^\s*(?:(?:import|export)\b[^;'"]*?\bfrom|import)\s*['"]\.\/([^'"]+)['"]/gm;

/** Each module of `directory` (by name, without `.ts`) and the sibling modules it imports. */
function importGraph(directory: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(join(directory, file), 'utf8');
    const imports = [...source.matchAll(LOCAL_SPECIFIER)].map((match) => (match[1] ?? '').replace(/\.ts$/, ''));
    graph.set(file.replace(/\.ts$/, ''), [...new Set(imports)]);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the path that closes it (`a → b → a`). */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const cycles: string[] = [];
  const done = new Set<string>();
  const walk = (module: string, path: string[]) => {
    const open = path.indexOf(module);
    if (open >= 0) {
      cycles.push([...path.slice(open), module].join(' → '));
      return;
    }
    if (done.has(module)) return;
    for (const next of graph.get(module) ?? []) walk(next, [...path, module]);
    done.add(module);
  };
  for (const module of [...graph.keys()].sort()) walk(module, []);
  return cycles;
}

describe('the import graph of lambda/core', () => {
  it('finds a cycle, and names it, when there is one', () => {
    const graph = new Map([
      ['ports', ['video']],
      ['video', ['source-info', 'ports']],
      ['source-info', []],
    ]);

    expect(cyclesOf(graph)).toEqual(['ports → video → ports']);
  });

  it('reads imports over several lines, type-only ones and re-exports included', () => {
    const graph = importGraph(CORE);

    expect(graph.get('ports')).toEqual(expect.arrayContaining(['video', 'source-info', 'webhook-event']));
    expect(graph.get('videos')).toEqual(expect.arrayContaining(['ports', 'schemas', 'video']));
  });

  it('has no cycle among the modules of lambda/core', () => {
    const graph = importGraph(CORE);

    const cycles = cyclesOf(graph);

    expect(graph.size).toBeGreaterThan(5);
    expect(cycles).toEqual([]);
  });
});
