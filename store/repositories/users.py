"""Users and their API keys. Only hashes of passwords and keys are stored."""

from __future__ import annotations

from sqlalchemy import select

from store.errors import Conflict, NotFound
from store.models import ApiKeyRow, UserRow, utcnow
from store.repositories.base import Page, Repository


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

    def api_key_by_prefix(self, prefix: str) -> tuple[ApiKeyRow, UserRow] | None:
        """The key with this public prefix and its user, if the key is not revoked."""
        found = self.session.execute(
            select(ApiKeyRow, UserRow)
            .join(UserRow, UserRow.id == ApiKeyRow.user_id)
            .where(ApiKeyRow.prefix == prefix, ApiKeyRow.revoked_at.is_(None))
        ).first()
        return None if found is None else (found[0], found[1])

    def revoke_api_key(self, key_id: int) -> ApiKeyRow:
        row = self.session.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFound("api key", key_id)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        self.session.flush()
        return row
