"""Who is learning: an anonymous Learner, found again through the browser's session.

No sign-up: the first page that needs a world creates a Learner and keeps its key in the
session, so progress survives a reload and a return visit (for as long as the session cookie
lives). Everything a learner sees is reached from this Learner, never from an id in the URL.
"""

from django.http import HttpRequest

from lessons.models import Learner, Membership

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


def current_learner_in_class(request: HttpRequest) -> tuple[Learner, Membership | None]:
    """The session's Learner (created when there is none) and the class they are in, if any.

    A learner in a class is found with their membership and its class in one query: the
    workspace asks on every request, its class-message poll included.
    """
    key = request.session.get(SESSION_KEY)
    if isinstance(key, str) and key:
        membership = Membership.objects.current_for_key(key)
        if membership is not None:
            return membership.learner, membership
    learner = current_learner(request, create=True)
    assert learner is not None
    return learner, None
