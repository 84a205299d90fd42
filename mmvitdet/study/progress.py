"""Progress and ETA of the whole study from the mmengine log lines of the running stage."""
import datetime
import re
import time
from typing import Optional

from .plan import Stage, StudyPlan

ITER_LINE = re.compile(r'Iter\(train\)\s*\[\s*(\d+)/(\d+)\]')
EPOCH_LINE = re.compile(r'Epoch\(train\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\]')


def units_done(line: str) -> Optional[int]:
    """Training iterations done according to one mmengine log line, None if it tells none."""
    match = ITER_LINE.search(line)
    if match:
        return int(match.group(1))
    match = EPOCH_LINE.search(line)
    if match:
        epoch, it, per_epoch = map(int, match.groups())
        return (epoch - 1) * per_epoch + it
    return None


def _clock(seconds: float) -> str:
    return str(datetime.timedelta(seconds=int(max(seconds, 0))))


class StudyProgress:
    """Estimated fraction done and time left, corrected by the speed observed in this run.

    The plan's estimates are idle-machine seconds; the ratio of wall time spent to estimated
    work done so far (in this invocation) rescales what is left, so a loaded machine or a
    resumed study gets an honest ETA.
    """

    def __init__(self, plan: StudyPlan, print_every: float = 30.0, printer=print):
        self.plan = plan
        self.total = plan.est_seconds
        self.done_est = 0.0  # estimated seconds of finished stages
        self.run_start = time.monotonic()
        self.run_done_est = 0.0  # of that, done in this invocation
        self.current: Optional[Stage] = None
        self.current_frac = 0.0
        self.print_every = print_every
        self.last_print = 0.0
        self.printer = printer

    def skip(self, stage: Stage) -> None:
        self.done_est += stage.est_seconds

    def start(self, stage: Stage) -> None:
        self.current, self.current_frac = stage, 0.0
        self.report(force=True)

    def update(self, line: str) -> None:
        if self.current is None or not self.current.total_units:
            return
        done = units_done(line)
        if done is not None:
            self.current_frac = min(1.0, done / self.current.total_units)
            self.report()

    def finish(self, stage: Stage) -> None:
        self.done_est += stage.est_seconds
        if stage.kind == 'data':
            # Found on disk in seconds or generated in a minute: no measure of the speed.
            self.run_start = time.monotonic()
        else:
            self.run_done_est += stage.est_seconds
        self.current, self.current_frac = None, 0.0

    def eta_seconds(self) -> float:
        current = self.current.est_seconds * self.current_frac if self.current else 0.0
        done_here = self.run_done_est + current
        left = self.total - self.done_est - current
        elapsed = time.monotonic() - self.run_start
        speed = elapsed / done_here if done_here > 30 else 1.0  # wall s per estimated s
        return left * speed

    def report(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_print < self.print_every:
            return
        self.last_print = now
        current = self.current.est_seconds * self.current_frac if self.current else 0.0
        pct = 100.0 * (self.done_est + current) / self.total
        index = self.plan.stages.index(self.current) + 1 if self.current else len(self.plan.stages)
        name = self.current.name if self.current else '-'
        where = f'{name}'
        if self.current and self.current.total_units:
            where += f' {int(self.current_frac * self.current.total_units)}/{self.current.total_units} it'
        eta = self.eta_seconds()
        finish = (datetime.datetime.now(datetime.timezone.utc) +
                  datetime.timedelta(seconds=eta)).strftime('%H:%M UTC')
        self.printer(f'[mini_study] {pct:5.1f}% | stage {index}/{len(self.plan.stages)} {where} | '
                     f'elapsed {_clock(now - self.run_start)} | ETA {_clock(eta)} '
                     f'(~{finish})', flush=True)
