"""Log-in limits: a flood of log-ins can neither guess passwords nor take the threads that serve.

Two guards, both applying to every `django.contrib.auth.authenticate` call that carries a request
(the admin's log-in today, any accounts page later):

- django-axes counts failed log-ins per account and client address and per client address
  (`login_guard.limits`); a locked-out client gets a 429 with `Retry-After`
  (`login_guard.responses`), answered before any password is hashed.
- Password hashing runs on a few low-priority threads per process (`login_guard.hashing`,
  `login_guard.hashers`); a log-in that finds them all busy is refused with a 429 at once instead
  of queuing on a thread that serves predictions.
"""
