import { readFileSync } from 'node:fs';
import { portInUse, reusablePort } from '../../local/ports';

test('a reusable port is free and below the range the kernel hands out to listen(0)', async () => {
  const floor = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

  const port = await reusablePort();

  expect(port).toBeLessThan(floor);
  expect(port).toBeGreaterThanOrEqual(floor - 8000);
  expect(await portInUse(port)).toBeUndefined();
});
