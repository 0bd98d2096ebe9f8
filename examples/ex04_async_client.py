"""Example 4: an asynchronous socket task that waits for data.

Example 4.b connects first (a blocking connect, so it runs on a worker
thread), then binds the socket to a task with sock.event(); the task's read
suspends it until data arrives (example 4.a).

    remora run examples/ex04_async_client.py HOST PORT
"""

import remora


async def sock_task(sock):
    # 4.a: read suspends this task, not the dispatcher.
    while True:
        data = await sock.read()
        if not data:
            break
        print("received:", data.decode())
    print("closed")
    remora.stop()


async def main(args):
    host, port = args[0], int(args[1])
    try:
        sock = await remora.thread_call(remora.connect, host, port)
    except remora.SocketError as err:
        print("remora.connect failed:", repr(err))
        return
    sock.event(sock_task)  # asynchronous mode (the default)
    await remora.wait_stopped()
