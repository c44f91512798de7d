"""Who is learning: an anonymous Learner, found again through the browser's session.

No sign-up: the first page that needs a world creates a Learner and keeps its key in the
session, so progress survives a reload and a return visit (for as long as the session cookie
lives). Everything a learner sees is reached from this Learner, never from an id in the URL.
"""

from django.http import HttpRequest

from lessons.models import Learner

SESSION_KEY = "rolecall_learner"


def current_learner(request: HttpRequest, *, create: bool) -> Learner | None:
    """The session's Learner; with `create`, a new one when the session has none (or a stale key)."""
    key = request.session.get(SESSION_KEY)
    if isinstance(key, str) and key:
        learner = Learner.objects.filter(key=key).first()
        if learner is not None:
            return learner
    if not create:
        return None
    learner = Learner.new()
    request.session[SESSION_KEY] = learner.key
    return learner
