"""The sync daemon: the run queue's workers, the scheduler, and ``harbor serve``."""
