"""The sans-IO WebSocket core (RFC 6455), shared by server and client: bytes
in, events out; calls in, bytes out.  No sockets, clocks or threads, and
nothing of remora outside this package.

Modules (names load their module on first use, as in ``remora``):

=================  ===========================================================
``handshake``      the opening handshake, pure functions over header lists:
                   ``read_request``, ``Upgrade``, ``server_handshake``,
                   ``request_headers``, ``check_response``, ``accept_value``
``connection``     ``Connection(role, max_message=65535, random=None)``
``reader``         its receive half (frame heads, payload pieces, failing)
``events``         ``Data``, ``Ping``, ``Pong``, ``Close``; ``NEED_DATA``,
                   ``DONE``; ``LocalProtocolError``, ``HandshakeError``
``state``          ``CLIENT``, ``SERVER``; ``OPEN``, ``CLOSING``, ``CLOSED``,
                   ``ERROR`` and the transition table; close-code rules
``frames``         opcodes, frame heads, ``xor_mask`` (masking)
``utf8``           strict incremental UTF-8 validation
``message``        ``Assembler``: whole messages from pieces (the seed's
                   ``wsread``)
=================  ===========================================================

The Connection::

    conn = Connection(SERVER, max_message=profile_limit)
    conn.receive_data(data)        # bytes read; b"" at EOF
    conn.next_event()              # Data | Ping | Pong | Close | NEED_DATA | DONE
    conn.data_to_send()            # bytes the core queued: pong, close echo, failure close
    conn.send_message(data, text=False)        # -> bytes of one frame
    conn.send_frame(data, text=False, fin=True)  # a fragment; continuations follow
    conn.send_head(length, text=False, fin=True)  # server: head only, payload sent as is
    conn.send_ping(payload=b"")
    conn.send_pong(payload=b"")
    conn.send_close(code=1000, reason="")      # -> CLOSING
    conn.state                     # OPEN, CLOSING, CLOSED, ERROR

``Data(data, text, received, length, fin)`` is a piece of a frame's payload
as it arrived (``received`` bytes of the frame's ``length`` so far; the
properties ``frame_end`` and ``message_end``).  ``Close(code, reason,
clean)`` ends the events: ``clean`` when their close frame arrived, else
the connection failed (their violation: 1002, 1007, 1009, our close
queued; or EOF: 1006).  A peer never makes the core raise; our misuse
raises LocalProtocolError and changes nothing.

A server's driver, after the HTTP server answered 101 (the bytes the HTTP
core read past the request, ``trailing_data``, are fed first)::

    conn = Connection(SERVER, max_message=limit)
    conn.receive_data(trailing)
    while True:
        event = conn.next_event()
        out = conn.data_to_send()
        if out:
            write(out)                 # pong, close echo, failure close
        if event is NEED_DATA:
            conn.receive_data(read())  # b"" at EOF; the read may time out
        elif event is DONE:
            break
        elif type(event) is Data:
            app.on_data(event)         # or an Assembler for whole messages
        elif type(event) is Pong:
            pong_due = None            # the keep-alive was answered
        elif type(event) is Close:
            app.on_close(event.code, event.reason)
    close_socket()                     # §7.1.1: the server closes TCP first

and what the application sends goes out as ``write(conn.send_message(m))``
while ``conn.state == OPEN``.

The driver's duties (the core has no clock):

* Close timeout.  After ``send_close`` the state is CLOSING: read on until a
  Close event (their close: CLOSED) or a few seconds.  On the timeout, close
  the socket and call ``receive_data(b"")``: the core ends in ERROR with
  Close(1006).  A client also waits (briefly) for the server's EOF after
  CLOSED before it closes (§7.1.1: the server closes the TCP connection
  first); a server closes at once.
* Keep-alive and pong timeout.  When the line has been quiet for a while,
  ``write(conn.send_ping(token))``; if no Pong arrives within the pong
  timeout, the peer is gone: ``write(conn.send_close(1011))`` if it will
  go, close the socket without waiting for their close, and call
  ``receive_data(b"")``.
* After ERROR (a failed connection) nothing more is read: write
  ``data_to_send()`` (our close) and close the socket (§7.1.7).

Memory: an idle Connection holds no buffer, only its few attributes
(``max_message`` and ``random`` are stored only when they differ from the
defaults).  Payload is delivered as it arrives, never buffered whole.
"""

_WHERE = (
    "connection:Connection|"
    "events:Data Ping Pong Close NEED_DATA DONE LocalProtocolError HandshakeError|"
    "state:CLIENT SERVER OPEN CLOSING CLOSED ERROR|"
    "handshake:read_request server_handshake request_headers check_response accept_value "
    "Upgrade|"
    "message:Assembler"
)


def __getattr__(name):  # type: ignore[no-untyped-def]
    # Load the module of a public name on first use (the pattern of remora's
    # own lazy loader, repeated here: the core imports nothing of remora).
    for group in _WHERE.split("|"):
        colon = group.find(":")
        if name in group[colon + 1 :].split():
            module = __import__("remora.proto.ws." + group[:colon], None, None, ["_"])
            value = getattr(module, name)
            globals()[name] = value
            return value
    # MicroPython resolves ``from . import sub`` through this hook before it
    # imports the submodule, so load submodules here too.
    try:
        value = __import__("remora.proto.ws." + name, None, None, ["_"])
    except ImportError as exc:
        if name not in str(exc):
            raise
        raise AttributeError(name)
    globals()[name] = value
    return value
