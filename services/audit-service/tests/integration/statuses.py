"""Every status an audit can be in, in lifecycle order, as the API names them: written out
here, not read from the code, so that the tests pin them."""

STATES = [
    "SCHEDULED",
    "IN_PROGRESS",
    "SUBMITTED",
    "PEER_REVIEWED",
    "MODERATION",
    "MODERATED",
    "CLOSED",
    "CANCELLED",
]
