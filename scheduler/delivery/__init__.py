"""The delivery engine: outbox rows → channels, rate limited, retried, exactly once.

One `ChannelSender` per channel claims due rows in batches, sends them through the channel
under that channel's token bucket, and records the results in batches:

    claim (short transaction) → send (no transaction open) → record (short transaction)

The database is never held while a message travels. Claims take at most
DELIVERY_BATCH_SIZE rows and a sender never holds more than that many claimed rows at once,
so memory does not grow with the audience. Direct messages (a report's status news) are
claimed ahead of a broadcast's backlog.

Results:
* ok → `sent`, with the platform's message id (`external_id`) and, where the channel says, how
  many platform messages it took (`messages`: Viber bills each). The platform's delivery
  receipts come back through `DeliveryEngine.receipt` (Viber's delivered/seen/failed).
* 429 (SendStatus.RETRY_AFTER) → the channel's bulk sending pauses for retry_after; the row
  goes back to pending, no attempt counted.
* transient failure (FAILED: 5xx, timeouts, resets) → retried with exponential backoff
  (2 s, 4 s, 8 s, … at most 10 min) until DELIVERY_MAX_ATTEMPTS, then `failed` with the reason
  (long digit runs, e.g. ids, are masked: no personal data).
* blocked / deactivated (BLOCKED) → `blocked`, the citizen opted out, and their other pending
  rows on that channel cancelled.

Crash policy (what "exactly once" means here). A row is claimed — status inflight,
claimed_by = this instance's id, claimed_at — before it is sent and marked sent after. If the
process dies, its inflight rows are resolved so:
* a restarted process takes back the rows claimed under its own instance id at start-up (the
  id survives restarts: scheduler/instance.py), and sends them again;
* rows inflight longer than DELIVERY_LEASE_SECONDS go back to pending whoever claimed them
  (a process that died for good, or on another host), checked every quarter lease.
Rows sent but not yet recorded as sent when the process died are therefore sent twice. There
are at most as many as the instance had claimed: duplicates after a crash are bounded by
DELIVERY_BATCH_SIZE per crashed instance (results are recorded every 0.1 s, so in practice
about 0.1 s worth of sending: 32-36 of a batch of 100 at 1000/s, tests/e2e/
test_delivery_crash.py). Nothing is lost. A process frozen past its lease (SIGSTOP, a paused
VM) can likewise have its in-flight rows sent twice, by whoever recovers them.
A graceful stop claims nothing more, waits for the sends on the wire (up to a timeout) and
puts every row not sent back to pending (a send cut off by the timeout may have arrived: at
most the sends on the wire may go twice).

Several instances: on PostgreSQL claims use SELECT … FOR UPDATE SKIP LOCKED, so processes
share a broadcast without sending a row twice; on SQLite the single writer serialises claims.
Each instance paces its channel at the configured rate: with N processes, give each 1/N.

Sending promptly (and how tests know it happened): a handler that queues direct rows hands
their ids to `DeliveryEngine.deliver` through `ctx.after_commit` (Services.deliver), so they
are sent right after the message's commit, inside that message's dispatch, like a reply: a
test that gets the staff member's answer back finds the news already delivered. More than
INLINE_LIMIT rows, or a paused channel, and the rows are left to the sender (woken at once).
`drain()` sends everything due now and returns when nothing due is left: the deterministic
hook for tests and benchmarks. Anything else due is found by polling (every second).

Bulk APIs: a channel whose `Capabilities.bulk_size` is above 1 (Viber with
VIBER_BROADCAST_API: broadcast_message, 300 receivers a call per message part) gets a run's
rows in one language in one `send_bulk` of up to that many; a claim then takes up to that many
rows. It takes one token of the channel's bucket, as a single send does, and each recipient's
result is recorded as a single send's would be.

Replies to citizens never wait for this engine: the dispatcher's reply sender
(bot/core/replies.py) paces them in its own bucket and `charge()`s each to the channel's
bucket here, so bulk sends slow down to leave room for them; and while
a citizen's message is being handled (`yielding`, wrapped around the dispatcher by the app),
bulk sends step aside for up to YIELD_MAX each. The sends on the wire per channel are sized by
Little's law (achieved pace × fastest recent round trip), because every extra HTTP connection
costs CPU on each request. Figures: bench/README.md.

Per-group pacing (Telegram: 20 a minute in a group, pacing.py) and, for a body's team chat,
its waiting news combined into one message when more than a minute's worth wait
(bundling.py: the combined row and the rows it carries marked sent in one transaction).

Modules: engine.py (DeliveryEngine), sender.py (ChannelSender: claim, send, record),
concurrency.py (sends on the wire), pacing.py, bundling.py, rendering.py (rows → replies, a
run's notice cached, its photo uploaded once per channel), results.py (results batched for
recording), config.py.
"""

from scheduler.delivery.config import DeliveryConfig
from scheduler.delivery.engine import DeliveryEngine

__all__ = ["DeliveryConfig", "DeliveryEngine"]
