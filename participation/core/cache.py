"""A per-community data version, and a cache of community-wide page sections keyed by it.

Every committed write to a row that belongs to a community raises `community.data_version` by
one, in the writing transaction itself (so it commits or rolls back with the write). The rows a
transaction wrote are collected as it goes:

* ORM flushes (new, changed and deleted objects): `after_flush`;
* ORM bulk and Core statements run through the session (`session.execute(update(X)…)`,
  `delete(X)`, `insert(X)`, `X.__table__.update()`): `do_orm_execute`, which reads the
  community from the statement's values or its WHERE clause (`community_id = …`, a primary or
  foreign key `= …` / `IN (…)`), else selects it with the same WHERE before the statement runs,
  else (an INSERT … SELECT) marks every community;
* anything else (a raw `text()` write, a connection outside the session, a restored copy of
  the database): call `bump()`, or clear the cache (the tests' teardown does).

A row names its community through its `community_id` column or, for a table without one,
through its foreign keys (rating_score.item_id → rating_item.round_id →
rating_round.community_id), the shortest path, derived once from the metadata; a table with no path (user) belongs to no community. Values
found in the session's identity map are followed in memory; the rest become sub-selects of the
one UPDATE that raises the versions, run just before COMMIT (`before_commit`): one statement
per transaction, whatever it wrote, and the community row stays locked only for the commit.

Not tracked (EXCLUDED): the ballots of a vote and their log and electorate, written by the
busiest statement of the app (the cast, one statement on PostgreSQL: tests/voting/
test_cast_statements.py), the inbox (one user's) and the city dashboard's summary (itself a
cache). Never cache anything that depends on them: an open vote's turnout or tallies, a user's
ballot or messages. A closed vote's results live on the vote row, which is tracked.

`cached_section(community, name, build, *key_parts)` keeps what `build()` returns (rendered
HTML, or plain immutable data: never ORM objects, which detach) in a bounded per-process LRU
keyed by the community's id, creation time (a test that re-creates a community under the same
id starts afresh), data version, the section's name, the locale and `key_parts` (the role set
where a section differs by role, the date where it shows one). An entry lives at most
SECTION_CACHE_MAX_AGE seconds, or until a time `build()` named with `valid_until()` (a rating
that closes), so a section that depends on the clock, or a write that was missed, heals by
itself. A session with unsaved or uncommitted writes to the community bypasses the cache, so a
request sees its own writes. SECTION_CACHE = False turns it off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import Column, MetaData, Table, event, inspect, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

from ..extensions import db
from .timeutil import aware, utcnow

log = logging.getLogger(__name__)

EXCLUDED = frozenset({"ballot", "ballot_event", "vote_elector", "message", "city_summary"})
COMMUNITY = "community"
_INFO = "gongjian_data_writes"
_MISSING = object()

# ---------------------------------------------------------------------------------------------
# Which community a row belongs to


@dataclass(frozen=True)
class _Path:
    """How a table reaches community.id: hops (local column → the column it references); the
    last hop's local column holds the community id. Empty for the community table itself."""

    table: Table
    hops: tuple[tuple[Column, Column], ...]
    names: dict[str, Column]  # column names and ORM attribute keys → column
    mapper: Any  # the ORM class mapped to the table, if any

    @property
    def pk(self) -> Column | None:
        pk = list(self.table.primary_key.columns)
        return pk[0] if len(pk) == 1 else None

    def get(self, session: Session, value: Any) -> Any:
        """The object with this primary key if the session holds it (no query)."""
        if self.mapper is None or self.pk is None:
            return None
        return session.identity_map.get(self.mapper.identity_key_from_primary_key((value,)))


_paths: dict[int, tuple[int, dict[str, _Path]]] = {}  # id(metadata) → (table count, paths)
_paths_lock = threading.Lock()


def _derive(metadata: MetaData) -> dict[str, _Path]:
    """Shortest foreign-key path from every table to community.id (breadth first from the
    community table; ties go to NOT NULL columns)."""
    tables = metadata.tables
    if COMMUNITY not in tables:
        return {}
    community = tables[COMMUNITY]
    hops: dict[str, tuple[tuple[Column, Column], ...]] = {COMMUNITY: ()}
    frontier = [COMMUNITY]
    while frontier:
        found: dict[str, tuple[tuple[Column, Column], ...]] = {}
        for table in tables.values():
            if table.name in hops:
                continue
            best = None
            for fk in sorted(table.foreign_keys, key=lambda f: (f.parent.nullable, f.parent.name)):
                target = fk.column.table.name
                if target not in frontier:
                    continue
                if target == COMMUNITY and fk.column is not community.c.id:
                    continue
                best = ((fk.parent, fk.column), *hops[target])
                break
            if best is not None:
                found[table.name] = best
        hops.update(found)
        frontier = list(found)
    mappers = {
        m.local_table.name: m for m in db.Model.registry.mappers if m.local_table is not None
    }
    out = {}
    for name, path in hops.items():
        table = tables[name]
        names: dict[str, Column] = {c.key: c for c in table.columns}
        names.update({c.name: c for c in table.columns})
        mapper = mappers.get(name)
        if mapper is not None:
            for prop in mapper.column_attrs:
                if len(prop.columns) == 1 and prop.columns[0].table is table:
                    names.setdefault(prop.key, prop.columns[0])
        out[name] = _Path(table, path, names, mapper)
    return out


def paths(metadata: MetaData | None = None) -> dict[str, _Path]:
    metadata = metadata if metadata is not None else db.metadata
    cached = _paths.get(id(metadata))
    if cached is None or cached[0] != len(metadata.tables):
        with _paths_lock:
            cached = (len(metadata.tables), _derive(metadata))
            _paths[id(metadata)] = cached
    return cached[1]


@dataclass
class _Writes:
    """The communities one transaction wrote: ids known, and (table, column) → values whose
    community the final UPDATE selects; `every` when a write named no community."""

    ids: set[int] = field(default_factory=set)
    lookups: dict[tuple[str, str], set[Any]] = field(default_factory=dict)
    every: bool = False

    def __bool__(self) -> bool:
        return bool(self.ids or self.lookups or self.every)


def _writes(session: Session) -> _Writes:
    found = session.info.get(_INFO)
    if found is None:
        found = session.info[_INFO] = _Writes()
    return found


def _follow(session: Session, path: _Path, values: Iterable[Any], out: _Writes, hop: int = 0):
    """The communities of path.table's rows whose hop-th local column holds `values`: followed
    in memory while the rows referenced are in the identity map, else left to the final
    UPDATE (a sub-select from the first row not in memory)."""
    values = {v for v in values if v is not None}
    table_paths = paths()
    while values:
        if hop == len(path.hops) - 1:
            out.ids.update(int(v) for v in values)
            return
        remote = path.hops[hop][1]
        parent = table_paths[remote.table.name]
        next_local = path.hops[hop + 1][0]
        following: set[Any] = set()
        for value in values:
            obj = parent.get(session, value) if remote is parent.pk else None
            loaded = _loaded(obj, parent.mapper, next_local) if obj is not None else None
            if loaded is None:
                out.lookups.setdefault((parent.table.name, remote.name), set()).add(value)
            else:
                following.update(loaded)
        values = following
        hop += 1


def _loaded(obj: Any, mapper: Any, column: Column) -> set[Any] | None:
    """Every value the object's column held in this transaction (old and new), without
    loading anything; None when it is not loaded."""
    try:
        prop = mapper.get_property_by_column(column)
    except Exception:  # noqa: BLE001 - a column the mapper does not map
        return None
    state = inspect(obj)
    attr = state.attrs[prop.key]
    history = attr.history
    values = set(history.added or ()) | set(history.unchanged or ()) | set(history.deleted or ())
    current = state.dict.get(prop.key)
    if current is not None:
        values.add(current)
    if not values and prop.key not in state.dict:
        return None
    return {v for v in values if v is not None}


def _collect_object(session: Session, obj: Any, out: _Writes, *, deleted: bool = False) -> None:
    state = inspect(obj)
    table = state.mapper.local_table
    if table is None or table.name in EXCLUDED:
        return
    path = paths().get(table.name)
    if path is None:
        return
    if not path.hops:  # a community itself
        if state.identity:
            out.ids.add(int(state.identity[0]))
        return
    values = _loaded(obj, state.mapper, path.hops[0][0])
    if values is None:
        # Not loaded: look the row up by primary key (a deleted row cannot be: every one).
        if state.identity and path.pk is not None and not deleted:
            out.lookups.setdefault((table.name, path.pk.name), set()).add(state.identity[0])
        else:
            out.every = True
        return
    _follow(session, path, values, out)


@event.listens_for(Session, "before_flush")
def _load_deleted(session: Session, flush_context, instances) -> None:  # noqa: ARG001
    """An object about to be deleted whose path column is not loaded: load it while its row
    exists (rare: objects are loaded before they are deleted)."""
    for obj in session.deleted:
        state = inspect(obj)
        table = state.mapper.local_table
        path = paths().get(table.name) if table is not None else None
        if path is None or not path.hops or table.name in EXCLUDED:
            continue
        try:
            key = state.mapper.get_property_by_column(path.hops[0][0]).key
        except Exception:  # noqa: BLE001
            continue
        if key not in state.dict:
            getattr(obj, key)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:  # noqa: ARG001
    out = _writes(session)
    try:
        for obj in session.new:
            _collect_object(session, obj, out)
        for obj in session.dirty:
            _collect_object(session, obj, out)
        for obj in session.deleted:
            _collect_object(session, obj, out, deleted=True)
    except Exception:  # noqa: BLE001 - never fail a write for its bookkeeping: bump them all
        log.exception("data version: a flush named no community; every one is bumped")
        out.every = True


# -- statements run through the session (bulk ORM and Core DML)


def _conjuncts(clause) -> list:
    if clause is None:
        return []
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_:
        out = []
        for part in clause.clauses:
            out.extend(_conjuncts(part))
        return out
    return [clause]


def _bound_values(right, params: list[dict]) -> list[Any] | None:
    if not isinstance(right, BindParameter):
        return None
    value = right.effective_value
    if value is None and params:
        name = right.key
        if all(name in p for p in params):
            return [p[name] for p in params]
        return None
    if value is None:
        return None
    if right.expanding or isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def _where_matches(path: _Path, where, params: list[dict]) -> list[tuple[Column, list[Any]]]:
    """(column of the statement's table, values) for each `col = v` / `col IN (…)` of the WHERE
    clause's top-level AND."""
    found = []
    for part in _conjuncts(where):
        if not isinstance(part, BinaryExpression):
            continue
        if part.operator not in (operators.eq, operators.in_op):
            continue
        left = part.left
        table = getattr(left, "table", None)
        if table is None or getattr(table, "name", None) != path.table.name:
            continue
        column = path.table.c.get(left.key) if hasattr(left, "key") else None
        if column is None:
            continue
        values = _bound_values(part.right, params)
        if values is not None:
            found.append((column, values))
    return found


def _value_rows(stmt, params: list[dict]) -> list[dict]:
    """The rows of values an INSERT or UPDATE writes, keyed by column or attribute name."""
    rows = [dict(p) for p in params] if params else []
    values = getattr(stmt, "_values", None)
    if values:
        single = {}
        for key, value in values.items():
            name = getattr(key, "key", key)
            if isinstance(value, BindParameter):
                value = value.effective_value
            single[name] = value
        rows = [{**single, **row} for row in rows] if rows else [single]
    for batch in getattr(stmt, "_multi_values", ()) or ():
        for row in batch:
            if isinstance(row, dict):
                rows.append({getattr(k, "key", k): v for k, v in row.items()})
    return rows


def _column_values(path: _Path, rows: list[dict], column: Column) -> list[Any] | None:
    names = [name for name, col in path.names.items() if col is column]
    values = []
    for row in rows:
        hit = next((row[n] for n in names if n in row), _MISSING)
        if hit is _MISSING:
            return None
        if isinstance(hit, BindParameter):
            hit = hit.effective_value
        if not isinstance(hit, int | str) and hit is not None:
            return None  # an expression (col + 1): not a value
        values.append(hit)
    return values


def _collect_statement(session: Session, orm_state, out: _Writes) -> None:
    stmt = orm_state.statement
    name = getattr(getattr(stmt, "table", None), "name", None)
    path = paths().get(name) if name not in EXCLUDED else None
    if path is None:
        return
    params = orm_state.parameters
    params = list(params) if isinstance(params, list | tuple) else [params] if params else []
    params = [p for p in params if isinstance(p, dict)]
    first = path.hops[0][0] if path.hops else path.pk
    rows = _value_rows(stmt, params)
    if orm_state.is_insert:
        values = None
        if rows and not getattr(stmt, "_select_names", None):  # not INSERT … SELECT
            values = _column_values(path, rows, first)
        if values is None:
            out.every = True
        else:
            _follow_from(session, path, first, values, out)
        return
    # UPDATE or DELETE. A row moved to another community names that one too.
    if path.hops and rows:
        moved = _column_values(path, rows, first)
        if moved:
            _follow_from(session, path, first, moved, out)
    matches = dict(_where_matches(path, getattr(stmt, "whereclause", None), params))
    pk = path.pk
    if not matches and params and pk is not None:
        keys = _column_values(path, params, pk)  # an ORM bulk UPDATE by primary key
        if keys is not None:
            matches[pk] = keys
    if first in matches:
        _follow_from(session, path, first, matches[first], out)
        return
    for column, values in matches.items():  # another foreign key: its row's community
        fk = next(iter(column.foreign_keys), None)
        target = paths().get(fk.column.table.name) if fk is not None else None
        if target is not None and target.table.name not in EXCLUDED:
            _follow_from(session, target, fk.column, values, out)
            return
    if pk is not None and pk in matches:
        if not orm_state.is_delete:  # the rows stay: the final UPDATE finds them
            _follow_from(session, path, pk, matches[pk], out)
            return
        missing = []
        for value in matches[pk]:
            obj = path.get(session, value)
            if obj is None:
                missing.append(value)
            else:
                _collect_object(session, obj, out, deleted=True)
        if not missing:
            return
    if params:
        out.every = True  # an executemany with per-row WHERE parameters
        return
    # Nothing names the community: select it now with the statement's own WHERE, before the
    # statement changes or removes the rows.
    query = _community_query(path)
    where = getattr(stmt, "whereclause", None)
    if where is not None:
        query = query.where(where)
    found = session.connection().execute(query.distinct()).scalars().all()
    out.ids.update(int(v) for v in found if v is not None)


def _follow_from(session: Session, path: _Path, column: Column, values, out: _Writes) -> None:
    """The communities of path.table's rows whose `column` holds values."""
    values = [v for v in values if v is not None]
    if not values:
        return
    if not path.hops:  # the community table: its primary key
        out.ids.update(int(v) for v in values)
        return
    if column is path.hops[0][0]:
        _follow(session, path, values, out)
        return
    if column is path.pk:
        for value in values:
            obj = path.get(session, value)
            loaded = _loaded(obj, path.mapper, path.hops[0][0]) if obj is not None else None
            if loaded is None:
                out.lookups.setdefault((path.table.name, column.name), set()).add(value)
            else:
                _follow(session, path, loaded, out)
        return
    out.lookups.setdefault((path.table.name, column.name), set()).update(values)


def _community_query(path: _Path):
    """SELECT <the community id> FROM path.table JOIN … along the path."""
    if not path.hops:
        return select(path.table.c.id)
    source = path.table
    for local, remote in path.hops[:-1]:
        source = source.join(remote.table, local == remote)
    return select(path.hops[-1][0]).select_from(source)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(orm_state) -> None:
    if orm_state.is_select or not (
        orm_state.is_insert or orm_state.is_update or orm_state.is_delete
    ):
        return
    out = _writes(orm_state.session)
    try:
        _collect_statement(orm_state.session, orm_state, out)
    except SQLAlchemyError:
        raise  # the database refused the SELECT: the statement would fail as well
    except Exception:  # noqa: BLE001 - never fail a write for its bookkeeping: bump them all
        log.exception("data version: a statement named no community; every one is bumped")
        out.every = True


# -- the one UPDATE, just before COMMIT


def bump(community_ids: Iterable[int] | None = None, session: Session | None = None) -> None:
    """Mark communities as written by the current transaction (all of them when None): their
    data version goes up when it commits. For writes the session cannot see (a raw text()
    statement, a connection of its own)."""
    out = _writes(session if session is not None else db.session())
    if community_ids is None:
        out.every = True
    else:
        out.ids.update(int(i) for i in community_ids)


def _bump_statement(metadata: MetaData, out: _Writes):
    community = metadata.tables[COMMUNITY]
    stmt = community.update().values(data_version=community.c.data_version + 1)
    if out.every:
        return stmt
    conditions = []
    if out.ids:
        conditions.append(community.c.id.in_(sorted(out.ids)))
    table_paths = paths(metadata)
    for (name, column), values in sorted(out.lookups.items()):
        path = table_paths[name]
        conditions.append(
            community.c.id.in_(
                _community_query(path).where(path.table.c[column].in_(sorted(values)))
            )
        )
    return stmt.where(or_(*conditions))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction commits (or not) what it wrote
    session.flush()
    out = session.info.get(_INFO)
    if not out:
        return
    if COMMUNITY not in db.metadata.tables:
        return
    session.connection().execute(_bump_statement(db.metadata, out))
    session.info.pop(_INFO, None)
    # A Community already loaded in this session must not keep its old version (a commit
    # without expire_on_commit).
    for key, obj in list(session.identity_map.items()):
        if getattr(key[0], "__tablename__", None) == COMMUNITY:
            session.expire(obj, ["data_version"])


@event.listens_for(Session, "after_transaction_end")
def _transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_INFO, None)


def writing(community_id: int, session: Session | None = None) -> bool:
    """Whether the session holds writes not yet committed that may touch the community."""
    session = session if session is not None else db.session()
    out = session.info.get(_INFO)
    if out and (out.every or out.lookups or community_id in out.ids):
        return True
    return bool(session.new or session.deleted or session.dirty)


# ---------------------------------------------------------------------------------------------
# The cache of sections


class SectionCache:
    """A thread-safe LRU of at most `size` entries, each kept until its deadline
    (time.monotonic())."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        found = self.entry(key)
        return _MISSING if found is None else found[1]

    def entry(self, key: tuple) -> tuple[float, Any] | None:
        """(deadline, value), or None when missing or past its deadline."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] <= time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return found

    def put(self, key: tuple, value: Any, deadline: float) -> None:
        with self._lock:
            self._items[key] = (deadline, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_EXT = "gongjian_section_cache"
_until: ContextVar[list[datetime] | None] = ContextVar("section_valid_until", default=None)


def section_cache(app=None) -> SectionCache:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(_EXT)
    if found is None:
        found = app.extensions.setdefault(
            _EXT, SectionCache(int(app.config.get("SECTION_CACHE_SIZE", 512)))
        )
    return found


def valid_until(when: datetime | None) -> None:
    """Called while a section is built: what it shows changes at `when` (a rating that opens
    or closes), so it is not kept past then."""
    found = _until.get()
    if found is not None and when is not None:
        found.append(aware(when))


@dataclass(frozen=True)
class NotKept:
    """What a build() returns when its result is not to be kept (it turned out to be one
    reader's): cached_section returns `value` and stores nothing."""

    value: Any


def cached_section(community: Any, name: str, build: Callable[[], Any], *key_parts: Any) -> Any:
    """build(), or what it returned before for the same community data, name, locale and key
    parts. See the module's docstring for what may be cached."""
    config = current_app.config
    if not config.get("SECTION_CACHE", True) or writing(community.id):
        value = build()
        return value.value if isinstance(value, NotKept) else value
    key = (
        community.id,
        community.created_at,
        community.data_version,
        name,
        str(get_locale()),
        *key_parts,
    )
    cache = section_cache()
    outer = _until.get()  # a section built inside another's build (a page around its sections)
    entry = cache.entry(key)
    if entry is not None:
        if outer is not None:  # the outer one is kept no longer than this one
            outer.append(utcnow() + timedelta(seconds=entry[0] - time.monotonic()))
        return entry[1]
    deadlines: list[datetime] = []
    token = _until.set(deadlines)
    try:
        value = build()
    finally:
        _until.reset(token)
    if isinstance(value, NotKept):
        return value.value
    max_age = float(config.get("SECTION_CACHE_MAX_AGE", 300))
    now = utcnow()
    ttl = min([max_age, *(s for s in ((d - now).total_seconds() for d in deadlines) if s > 0)])
    cache.put(key, value, time.monotonic() + ttl)
    if outer is not None:
        outer.append(now + timedelta(seconds=ttl))
    return value


def cached_block(community: Any, name: str, *key_parts: Any, caller: Callable[[], str]) -> Markup:
    """For templates, around a community-wide part of a page:
    {% call cached_block(community, 'plan.items', plan.id) %}…{% endcall %}; the body is
    rendered only when the section is not cached. Whatever the body reads must be read
    lazily (not computed by the view), or caching it saves nothing."""
    return cached_section(community, name, lambda: Markup(caller()), *key_parts)


def roles_key(roles: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(roles))
