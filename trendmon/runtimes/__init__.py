"""The runtimes: the only place that wires the engine, the log and the stores together.

- :mod:`~trendmon.runtimes.embedded`: one process reads the embedded log, runs the engine and
  writes the stores, with a checkpoint (``trendmon run``, ``trendmon replay``);
- :mod:`~trendmon.runtimes.distributed`: Faust agents on Kafka run the same engine across the
  topics' partitions (``trendmon worker``);
- :mod:`~trendmon.runtimes.stages`: what the distributed agents decide, as plain classes (the
  agents keep the I/O);
- :mod:`~trendmon.runtimes.decoding`: decoding and dead letters, shared by both runtimes;
- :mod:`~trendmon.runtimes.sink`: the distributed runtime's writer of the stores;
- :mod:`~trendmon.runtimes.waiting`: waiting for a store that is away (tenacity).

Both give the same boards and spikes from the same log.
"""
