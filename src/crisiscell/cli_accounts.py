"""`crisiscell user …` and `crisiscell token …`: the people of the cell and the machines
that call the API, managed from the server's console (no web page can make an account).
"""

from __future__ import annotations

import argparse
import secrets
import sys

EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _get_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).first()


def cmd_user_add(args: argparse.Namespace) -> int:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from crisiscell.crisis.roles import ROLES, ensure_roles

    if args.role not in ROLES:
        return _fail(f"--role {args.role!r}: expected one of {', '.join(ROLES)}")
    if _get_user(args.username) is not None:
        return _fail(f"user {args.username!r} exists already")
    User = get_user_model()
    user = User(username=args.username, email=args.email or "")
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        return _fail("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
    password = secrets.token_urlsafe(12)
    validate_password(password, user)
    with transaction.atomic():
        groups = ensure_roles()
        user.set_password(password)
        user.save()
        user.groups.set([groups[args.role]])
    print(f"user {args.username!r} ({args.role}) password: {password}")
    print("give it by hand; the user enrols an authenticator app at the first login")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from django.contrib.auth import get_user_model
    from django_otp import user_has_device

    from crisiscell.crisis.roles import role_of

    for user in get_user_model().objects.order_by("username"):
        print(
            f"{user.username:<20} {role_of(user) or '-':<17} "
            f"{'active' if user.is_active else 'disabled':<9} "
            f"{'2FA' if user_has_device(user) else 'no 2FA'}"
        )
    return 0


def cmd_user_reset_two_factor(args: argparse.Namespace) -> int:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = _get_user(args.username)
    if user is None:
        return _fail(f"unknown user {args.username!r}")
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    print(f"{args.username}: {removed} authenticator(s) removed; enrol a new one at next login")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from crisiscell.api.models import ApiToken

    user = _get_user(args.user)
    if user is None:
        return _fail(f"unknown user {args.user!r}")
    if not args.name.strip() or len(args.name) > 100:
        return _fail("--name: give a label of 1 to 100 characters (what uses the token)")
    row, token = ApiToken.issue(user, args.name.strip())
    print(token)
    print(
        f"token {row.pk} for {user.username} ({args.name}): shown once, only its digest is "
        "kept; send it as `Authorization: Bearer <token>`",
        file=sys.stderr,
    )
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from crisiscell.api.models import ApiToken

    for row in ApiToken.objects.select_related("user").order_by("pk"):
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "valid"
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
        print(
            f"{row.pk:>4} {row.hint}… {row.user.username:<16} {row.name:<24} "
            f"used {used:<16} {state}"
        )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from crisiscell.api.models import ApiToken

    changed = ApiToken.objects.filter(pk=args.id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not changed:
        return _fail(f"no valid token {args.id}")
    print(f"token {args.id} revoked")
    return 0


def add_parsers(sub, django_setup) -> None:
    """The `user` and `token` commands; `django_setup` runs before each."""

    def run(func):
        def call(args):
            django_setup()
            return func(args)

        return call

    s = sub.add_parser("user", help="the people of the crisis cell: add, list, reset 2FA")
    usub = s.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    u = usub.add_parser("add", help="add a user with a role; prints a generated password")
    u.add_argument("username")
    u.add_argument("--role", required=True, help="crisis_director, it_lead, observer, …")
    u.add_argument("--email")
    u.set_defaults(func=run(cmd_user_add))
    u = usub.add_parser("list", help="users, their role, and whether they enrolled 2FA")
    u.set_defaults(func=run(cmd_user_list))
    u = usub.add_parser("reset-two-factor", help="remove a user's authenticator (a lost phone)")
    u.add_argument("username")
    u.set_defaults(func=run(cmd_user_reset_two_factor))

    s = sub.add_parser("token", help="API tokens for machines: create, list, revoke")
    tsub = s.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    t = tsub.add_parser("create", help="make a token acting as USER; printed once")
    t.add_argument("--user", required=True, metavar="USERNAME")
    t.add_argument("--name", required=True, help="what uses it, e.g. 'SIEM'")
    t.set_defaults(func=run(cmd_token_create))
    t = tsub.add_parser("list", help="the tokens (never their value)")
    t.set_defaults(func=run(cmd_token_list))
    t = tsub.add_parser("revoke", help="revoke a token at once")
    t.add_argument("id", type=int)
    t.set_defaults(func=run(cmd_token_revoke))
