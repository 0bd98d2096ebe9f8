# The worker pool without a dispatcher: bounded queue, refusal, every job runs once.
import time

from remora import port
from remora.pool import Pool

lock = port.allocate_lock()
done = []
gate = port.allocate_lock()
gate.acquire()  # jobs block on it until we release it


def blocked_job(n):
    gate.acquire()
    gate.release()
    with lock:
        done.append(n)


pool = Pool(2, 3)
accepted = [pool.run(blocked_job, n) for n in range(8)]
# 2 workers take a job each, 3 more wait in the queue, the rest are refused.
assert accepted == [True] * 5 + [False] * 3, accepted
assert pool.stats()["queued"] == 3
gate.release()
deadline = time.time() + 5
while len(done) < 5 and time.time() < deadline:
    time.sleep(0.01)
assert sorted(done) == [0, 1, 2, 3, 4], done

# A job that raises does not kill its worker.
def bad_job():
    raise ValueError("job failed on purpose")


assert pool.run(bad_job)
time.sleep(0.3)  # let its error report print before PASS (the runner reads the last line)
assert pool.run(blocked_job, 99)
deadline = time.time() + 5
while 99 not in done and time.time() < deadline:
    time.sleep(0.01)
assert 99 in done
pool.shutdown()
assert not pool.run(blocked_job, 100)  # refused once stopping
print("PASS")
