"""Wake-ups: tell the streams of a thread, in any worker, that it has something new to show.

Streams used to re-read the store every second to see what other workers stored and what clinicians
decided. Now whoever stores an event or delivers a decision publishes a wake-up for the thread; a stream
sleeps until one arrives, with a slow fallback read only as a safety net for a lost wake-up.
`LocalWakeups` reaches this process only; `RedisWakeups` (when a Redis URL is configured) and
`PostgresWakeups` (scale-out on PostgreSQL) reach every process sharing them.
"""
