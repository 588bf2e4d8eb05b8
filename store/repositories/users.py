"""Users and their API keys. Only hashes of passwords and keys are stored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select

from store.errors import Conflict, NotFound
from store.models import ApiKeyRow, UserRow, utcnow
from store.repositories.base import Page, Repository, core_table


@dataclass(frozen=True)
class KeyHolder:
    """What checking an API key needs: the key's hash and its user's name, role and active flag, as stored now."""

    key_hash: str
    username: str
    role: str
    active: bool


_KEYS, _USERS = core_table(ApiKeyRow), core_table(UserRow)
#: Built once: every call made with an API key runs it (columns only, no ORM objects to build).
_KEY_HOLDER = (
    select(_KEYS.c.key_hash, _USERS.c.username, _USERS.c.role, _USERS.c.active)
    .join(_USERS, _USERS.c.id == _KEYS.c.user_id)
    .where(_KEYS.c.prefix == bindparam("prefix"), _KEYS.c.revoked_at.is_(None))
)


class UserRepository(Repository):
    """All SQL about users and API keys."""

    def by_username(self, username: str) -> UserRow | None:
        return self.session.scalar(select(UserRow).where(UserRow.username == username))

    def get(self, username: str) -> UserRow:
        row = self.by_username(username)
        if row is None:
            raise NotFound("user", username)
        return row

    def page(self, *, role: str | None = None, limit: int = 50, offset: int = 0) -> Page[UserRow]:
        query = select(UserRow)
        if role is not None:
            query = query.where(UserRow.role == role)
        rows, total = self._page(query, [UserRow.username], limit, offset)
        return Page(rows, total)

    def create(self, username: str, password_hash: str, role: str) -> UserRow:
        if self.by_username(username) is not None:
            raise Conflict(f"user {username} already exists", field="username")
        row = UserRow(username=username, password_hash=password_hash, role=role, active=True)
        self.session.add(row)
        self.session.flush()
        return row

    def update(
        self, username: str, *, role: str | None = None, active: bool | None = None, password_hash: str | None = None
    ) -> UserRow:
        row = self.get(username)
        if role is not None:
            row.role = role
        if active is not None:
            row.active = active
        if password_hash is not None:
            row.password_hash = password_hash
        self.session.flush()
        return row

    def add_api_key(self, username: str, *, name: str, prefix: str, key_hash: str) -> ApiKeyRow:
        user = self.get(username)
        row = ApiKeyRow(user_id=user.id, name=name, prefix=prefix, key_hash=key_hash)
        self.session.add(row)
        self.session.flush()
        return row

    def api_keys(self, username: str) -> list[ApiKeyRow]:
        user = self.get(username)
        return list(self.session.scalars(select(ApiKeyRow).where(ApiKeyRow.user_id == user.id).order_by(ApiKeyRow.id)))

    def api_key_holder(self, prefix: str) -> KeyHolder | None:
        """The hash of the unrevoked key with this public prefix and its user's role and active flag."""
        found = self.session.execute(_KEY_HOLDER, {"prefix": prefix}).first()
        return None if found is None else KeyHolder(found[0], found[1], found[2], bool(found[3]))

    def revoke_api_key(self, key_id: int) -> ApiKeyRow:
        row = self.session.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFound("api key", key_id)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        self.session.flush()
        return row
