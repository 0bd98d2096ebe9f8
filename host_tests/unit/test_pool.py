# The worker pool without a dispatcher: bounded queue, refusal, every job runs once.
#
# Everything the workers look up is defined before the pool starts, and the
# test itself runs in a function: the unix port's threads have no GIL, so a
# module global added while a worker reads the module's dict can make that
# lookup fail (a board's port has a GIL).
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


def bad_job():
    raise ValueError("job failed on purpose")


def wait_for(check):
    deadline = time.time() + 5
    while not check() and time.time() < deadline:
        time.sleep(0.01)


def main():
    pool = Pool(2, 3)
    accepted = [pool.run(blocked_job, n) for n in range(8)]
    # 2 workers take a job each, 3 more wait in the queue, the rest are refused.
    assert accepted == [True] * 5 + [False] * 3, accepted
    assert pool.stats()["queued"] == 3
    gate.release()
    wait_for(lambda: len(done) >= 5)
    assert sorted(done) == [0, 1, 2, 3, 4], done

    # A job that raises does not kill its worker.
    assert pool.run(bad_job)
    time.sleep(0.3)  # let its error report print before PASS (the runner reads the last line)
    assert pool.run(blocked_job, 99)
    wait_for(lambda: 99 in done)
    assert 99 in done
    pool.shutdown()
    assert not pool.run(blocked_job, 100)  # refused once stopping
    print("PASS")


main()
