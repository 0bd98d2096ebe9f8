"""MQTT reason codes (5.0 §2.4): names for the ones a driver acts on, and
the name of every code, for logs and error messages.

Not loaded by the core (it uses the numbers): a driver imports it when it
wants a name.  The table is one tuple of strings, each "code:name", in the
order of the specification; :func:`name` scans it (a log line is no hot path, and a dict
would cost a board its heap for every entry).  Some codes mean different
things in different packets (0x00 is Success, Normal disconnection or
Granted QoS 0; 0x01 and 0x02 are granted QoS in a SUBACK); the first name
is given.

3.1.1 has reason codes only in CONNACK (its "return codes", §3.2.2.3) and
SUBACK (0x80 Failure); pass ``v3=True`` for the CONNACK ones.
"""

try:
    from micropython import const
except ImportError:

    def const(value):  # type: ignore[no-redef,misc]  # int, str, bytes or tuple
        return value


# Codes a driver acts on, by name.  Success ends a flow well; 0x10 on a PUBACK
# is a success too (no subscriber matched); 0x92 on a PUBCOMP after a reconnect
# means the server had the message; 0x8B, 0x8E, 0x9C and 0x9D come in a server's
# DISCONNECT (shutting down, another connection took the session, go elsewhere);
# the others close a connection one side found broken.
SUCCESS = const(0x00)
NORMAL_DISCONNECTION = const(0x00)
DISCONNECT_WITH_WILL = const(0x04)
NO_MATCHING_SUBSCRIBERS = const(0x10)
UNSPECIFIED_ERROR = const(0x80)
MALFORMED_PACKET = const(0x81)
PROTOCOL_ERROR = const(0x82)
NOT_AUTHORIZED = const(0x87)
SERVER_SHUTTING_DOWN = const(0x8B)
SESSION_TAKEN_OVER = const(0x8E)
PACKET_ID_NOT_FOUND = const(0x92)
RECEIVE_MAXIMUM_EXCEEDED = const(0x93)
TOPIC_ALIAS_INVALID = const(0x94)
PACKET_TOO_LARGE = const(0x95)
RETAIN_NOT_SUPPORTED = const(0x9A)
QOS_NOT_SUPPORTED = const(0x9B)
USE_ANOTHER_SERVER = const(0x9C)
SERVER_MOVED = const(0x9D)

_NAMES = const(
    (
        # Success and the codes below 0x80
        "0:Success", "1:Granted QoS 1", "2:Granted QoS 2", "4:Disconnect with Will Message",
        "16:No matching subscribers", "17:No subscription existed", "24:Continue authentication",
        "25:Re-authenticate",
        # Failures, 0x80 and up
        "128:Unspecified error", "129:Malformed Packet", "130:Protocol Error",
        "131:Implementation specific error", "132:Unsupported Protocol Version",
        "133:Client Identifier not valid", "134:Bad User Name or Password", "135:Not authorized",
        "136:Server unavailable", "137:Server busy", "138:Banned", "139:Server shutting down",
        "140:Bad authentication method", "141:Keep Alive timeout", "142:Session taken over",
        "143:Topic Filter invalid", "144:Topic Name invalid", "145:Packet Identifier in use",
        "146:Packet Identifier not found", "147:Receive Maximum exceeded",
        "148:Topic Alias invalid", "149:Packet too large", "150:Message rate too high",
        "151:Quota exceeded", "152:Administrative action", "153:Payload format invalid",
        "154:Retain not supported", "155:QoS not supported", "156:Use another server",
        "157:Server moved", "158:Shared Subscriptions not supported",
        "159:Connection rate exceeded", "160:Maximum connect time",
        "161:Subscription Identifiers not supported", "162:Wildcard Subscriptions not supported",
    )
)

# 3.1.1 §3.2.2.3: the CONNACK return codes, by code.
_V3_CONNACK = const(
    (
        "Connection Accepted",
        "unacceptable protocol version",
        "identifier rejected",
        "Server unavailable",
        "bad user name or password",
        "not authorized",
    )
)


def name(code: int, v3: bool = False) -> str:
    """The name of reason code ``code`` (with ``v3``: of a 3.1.1 CONNACK
    return code); "0x.. unknown" for a code the specification lacks."""
    if v3 and 0 <= code < len(_V3_CONNACK):
        return _V3_CONNACK[code]
    prefix = "%d:" % code
    for entry in _NAMES:
        if entry.startswith(prefix):
            return entry[len(prefix) :]
    return "0x%02x unknown" % code
