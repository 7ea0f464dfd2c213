# Cooperative, tick-driven scheduler: no threads.  Tasks run in the order they were added
# (the application documents that order), each when its period has elapsed on the board's
# ticks.  A task that fell far behind (board time jumped, a long replay) runs once and is
# re-phased instead of running in a burst.


class Task:
    def __init__(self, name, period_ms, fn):
        self.name = name
        self.period_ms = period_ms
        self.fn = fn
        self.due = 0
        self.runs = 0
        self.faults = 0


class Scheduler:
    def __init__(self, board, on_fault):
        self.board = board
        self.tasks = []
        self.on_fault = on_fault  # on_fault(task index): a task raised; the loop goes on

    def add(self, name, period_ms, fn, now):
        task = Task(name, period_ms, fn)
        task.due = now
        self.tasks.append(task)
        return task

    def run_due(self, now):
        board = self.board
        tasks = self.tasks
        for i in range(len(tasks)):  # index loop: iterating the list would allocate
            task = tasks[i]
            late = board.ticks_diff(now, task.due)
            if late < 0:
                continue
            try:
                task.fn()
            except Exception:  # a failing task must not stop the others or the link
                task.faults += 1
                self.on_fault(i)
            task.runs += 1
            task.due = board.ticks_add(task.due if late < task.period_ms else now, task.period_ms)

    def most_late_ms(self, now):
        """How far the most overdue task is behind, relative to its period (ms)."""
        worst = -1 << 29
        tasks = self.tasks
        for i in range(len(tasks)):
            late = self.board.ticks_diff(now, tasks[i].due) - 5 * tasks[i].period_ms
            if late > worst:
                worst = late
        return worst
