"""The sans-IO HTTP/1.1 core (RFC 9110, RFC 9112), both roles.

=========================  ====================================================
module                     holds
=========================  ====================================================
:mod:`.server`             ``ServerConnection``: requests in, responses out
:mod:`.client`             ``ClientConnection``: requests out, responses in
:mod:`.connection`         what both roles share
:mod:`.events`             the events, the NEED_DATA and PAUSED sentinels, errors
:mod:`.fields`             header fields: parsing, framing fields, Host, tokens
:mod:`.limits`             ``Limits``: the bounds of a connection
:mod:`.readers`            bytes in: heads and bodies, resumable and bounded
:mod:`.chunked`            bytes in: the chunked coding (loaded on first use)
:mod:`.writers`            bytes out: heads and the framing of our bodies
:mod:`.state`              the two roles' state machines, as data
:mod:`.reasons`            the standard reason phrases
=========================  ====================================================

Nothing here touches a socket, a clock or a thread; the HTTP server and
client in :mod:`remora.http` drive it.
"""
