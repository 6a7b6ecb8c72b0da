import { type ChildProcess, spawn } from 'node:child_process';
import { stderrSummary } from './ffmpeg-stderr';
import { checkOpen, JobStopped } from './job-errors';

/**
 * ffmpeg and ffprobe run in process groups of their own: a terminal's Ctrl-C, which goes to the
 * whole foreground group, stops the twin (which then stops them) instead of failing the running
 * job. A process group of its own also means ffmpeg would outlive a twin killed outright
 * (SIGKILL), so each group has a guard (see `GUARD_SCRIPT`) that kills it when the twin is gone.
 */

/**
 * How ffmpeg and ffprobe are started: `sh -c GUARD_SCRIPT guard <command> <args…>`, the shell
 * leading a new process group (`detached`). It forks the guard, which waits for end-of-file on
 * the shell's stdin (a pipe only this process holds, and never writes to) and then kills the group
 * the shell leads (`-$$`, the shell's pid, even in the guard); then the shell becomes the command
 * (`exec`), which keeps its pid and group, so this process sees the command's own exit code or
 * signal. The pipe ends when this process ends, however it ends (SIGKILL included), so an orphaned
 * ffmpeg dies at once instead of encoding on. The guard exists before the command runs: there is
 * no moment when the command is unguarded. When the command ends, Node closes the pipe and the
 * guard, alone in the group (which keeps the group id from being reused), kills itself. Were the
 * shell not a group leader, there would be no group `$$` and the guard would kill nothing.
 */
const GUARD_SCRIPT =
  'exec 3<&0; { read -r line <&3; kill -KILL -$$; } </dev/null >/dev/null 2>&1 & exec "$@" </dev/null 3<&-';
/** The shell's exit code when it cannot run the command (not installed). */
const COMMAND_NOT_FOUND = 127;
/** The tail of a process's stderr kept for its error message. */
const STDERR_TAIL_CHARS = 16_384;

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running process: its pid is its process group's id. */
interface RunningProcess {
  readonly child: ChildProcess;
  /** Exited (and reaped): its pid may belong to another process now. */
  exited: boolean;
}

/** SIGKILL to a whole process group; one that is gone already is fine. */
function killGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: it ended meanwhile.
  }
}

/** The processes the transcoder runs, each leading a guarded process group; stopped by `signal`. */
export class GuardedProcesses {
  readonly #signal: AbortSignal;
  readonly #children = new Set<RunningProcess>();

  /** Once `signal` is aborted, runs reject as stopped; `killAll()` ends those under way. */
  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /**
   * Runs a process in `cwd`, keeping its stdout and the tail of its stderr. It leads a process
   * group of its own, out of reach of the terminal's Ctrl-C, with a guard that kills the group if
   * this process dies (see `GUARD_SCRIPT`). A process that cannot start (not installed) rejects.
   */
  run(command: string, args: readonly string[], cwd: string): Promise<ProcessResult> {
    checkOpen(this.#signal);
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', GUARD_SCRIPT, 'guard', command, ...args], {
        cwd,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const running: RunningProcess = { child, exited: false };
      this.#children.add(running);
      const stdout: Buffer[] = [];
      let stderr = '';
      child.stdin?.on('error', () => undefined);
      child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      });
      child.once('exit', () => {
        running.exited = true;
      });
      child.once('error', (error) => {
        running.exited = true;
        this.#children.delete(running);
        reject(error);
      });
      child.once('close', (code, signal) => {
        this.#children.delete(running);
        if (this.#signal.aborted) reject(new JobStopped('the transcoder was closed'));
        else if (code === COMMAND_NOT_FOUND) reject(new Error(`cannot run ${command}: ${stderrSummary(stderr)}`));
        else resolve({ code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr });
      });
    });
  }

  /** Kills the process group of every process still running. */
  killAll(): void {
    for (const running of this.#children) if (!running.exited) killGroup(running.child.pid);
  }
}
