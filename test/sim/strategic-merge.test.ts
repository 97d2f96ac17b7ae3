/**
 * Strategic merge patch with the schema of the built-in kinds, checked against what
 * k8s.io/apimachinery/pkg/util/strategicpatch does with the same patches.
 */
import { describe, expect, it } from 'vitest';
import { kindSchema } from './openapi/documents.js';
import { strategicMergePatch, type StrategicSchema } from './patches.js';
import { BUILTIN_RESOURCES } from './resources.js';

const deployment = kindSchema(BUILTIN_RESOURCES.find((r) => r.kind === 'Deployment')!, 'v1');
const view = { schema: deployment.root as StrategicSchema, lookup: (n: string) => deployment.lookup(n) as StrategicSchema | undefined };
const patch = (live: unknown, p: unknown) => strategicMergePatch(live, p, view) as { spec: { template: { spec: Record<string, unknown> }; strategy?: unknown }; metadata: { finalizers?: string[] } };

const live = {
  metadata: { name: 'web', finalizers: ['a', 'b'] },
  spec: {
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
    template: {
      spec: {
        containers: [
          { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
          { name: 'side', image: 'side:1' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
        tolerations: [{ key: 'x', operator: 'Exists' }],
      },
    },
  },
};

describe('strategic merge patch', () => {
  it('merges containers by name and env by name, and replaces lists without a merge key', () => {
    const out = patch(live, { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '3' }] }], tolerations: [{ key: 'y', operator: 'Exists' }] } } } });
    const [app, side] = out.spec.template.spec.containers as Array<Record<string, unknown>>;
    expect(app).toMatchObject({ image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }], ports: [{ containerPort: 80 }] });
    expect(side).toEqual({ name: 'side', image: 'side:1' });
    expect(out.spec.template.spec.tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
  });

  it('honours $patch: delete and replace, $setElementOrder, $deleteFromPrimitiveList and $retainKeys', () => {
    const out = patch(live, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }],
            containers: [{ name: 'app', $patch: 'delete' }, { name: 'new', image: 'new:1' }],
            volumes: [{ name: 'cache', emptyDir: {} }, { $patch: 'replace' }],
          },
        },
      },
    });
    expect(out.metadata.finalizers).toEqual(['b']);
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
    expect((out.spec.template.spec.containers as Array<{ name: string }>).map((c) => c.name)).toEqual(['side', 'new']);
    expect(out.spec.template.spec.volumes).toEqual([{ name: 'cache', emptyDir: {} }]);
  });

  it('refuses list items without their merge key', () => {
    expect(() => patch(live, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } })).toThrow(/does not contain declared merge key: name/);
  });
});
