"""Engine benchmark: one nested query through Ouroboros, Strawberry GraphQL and a hand loop.

2,000 users, each with 5 scalar attributes and a ``friends`` join of 3 users with 2 attributes
each, served by the SAME data functions (``fetch_*`` below) three ways:

(a) Ouroboros with batch resolvers (``engine.process``, sync);
(b) Strawberry GraphQL over DataLoaders, as a Strawberry user would write it;
(c) a hand-written Python loop — the floor.

Run:  .venv/bin/python bench/engine.py            (2,000 users, best of 7)
      .venv/bin/python bench/engine.py --quick    (200 users, CI smoke)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from ouroboros import Engine, resolver

# --- the data functions every contender calls ----------------------------------------------

DB: dict[str, Any] = {}


def build_db(n: int) -> None:
    DB["users"] = {
        i: {
            "name": f"user {i}",
            "email": f"user{i}@example.com",
            "age": 18 + i % 60,
            "city": ("Oslo", "Lima", "Pune", "Kyiv")[i % 4],
        }
        for i in range(n)
    }
    DB["friends"] = {i: [(i * 7 + 1) % n, (i * 13 + 2) % n, (i * 17 + 3) % n] for i in range(n)}


def fetch_user_ids() -> list[int]:
    return list(DB["users"])


def fetch_users(ids: list[int]) -> list[dict[str, Any]]:
    users = DB["users"]
    return [users[i] for i in ids]


def fetch_friend_ids(ids: list[int]) -> list[list[int]]:
    friends = DB["friends"]
    return [friends[i] for i in ids]


# --- (a) Ouroboros -------------------------------------------------------------------------


@resolver(output=[{"users": ["user/id"]}])
def all_users(_: Any) -> dict[str, Any]:
    return {"users": [{"user/id": i} for i in fetch_user_ids()]}


@resolver(
    input=["user/id"], output=["user/name", "user/email", "user/age", "user/city"], batch=True
)
def user_rows(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = fetch_users([i["user/id"] for i in inputs])
    return [
        {
            "user/name": r["name"],
            "user/email": r["email"],
            "user/age": r["age"],
            "user/city": r["city"],
        }
        for r in rows
    ]


@resolver(input=["user/id"], output=[{"user/friends": ["user/id"]}], batch=True)
def user_friends(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lists = fetch_friend_ids([i["user/id"] for i in inputs])
    return [{"user/friends": [{"user/id": f} for f in fs]} for fs in lists]


ENGINE = Engine([all_users, user_rows, user_friends])
EQL = (
    "[{:users [:user/id :user/name :user/email :user/age :user/city"
    " {:user/friends [:user/id :user/name]}]}]"
)


def run_ouroboros() -> Any:
    return ENGINE.process(EQL)


# --- (b) Strawberry ------------------------------------------------------------------------


async def load_users(ids: list[int]) -> list[dict[str, Any]]:
    return fetch_users(list(ids))


async def load_friend_ids(ids: list[int]) -> list[list[int]]:
    return fetch_friend_ids(list(ids))


@strawberry.type
class User:
    id: int
    name: str
    email: str
    age: int
    city: str

    @strawberry.field
    async def friends(self, info: Info) -> list[User]:
        ids = await info.context["friend_ids"].load(self.id)
        rows = await info.context["users"].load_many(ids)
        return [User(id=i, **row) for i, row in zip(ids, rows, strict=True)]


@strawberry.type
class Query:
    @strawberry.field
    async def users(self, info: Info) -> list[User]:
        ids = fetch_user_ids()
        rows = await info.context["users"].load_many(ids)
        return [User(id=i, **row) for i, row in zip(ids, rows, strict=True)]


SCHEMA = strawberry.Schema(query=Query)
GRAPHQL = "{ users { id name email age city friends { id name } } }"


def run_strawberry() -> Any:
    async def main() -> Any:
        context = {
            "users": DataLoader(load_fn=load_users),
            "friend_ids": DataLoader(load_fn=load_friend_ids),
        }
        result = await SCHEMA.execute(GRAPHQL, context_value=context)
        assert result.errors is None, result.errors
        return result.data

    return asyncio.run(main())


# --- (c) the floor -------------------------------------------------------------------------


def run_hand() -> Any:
    ids = fetch_user_ids()
    rows = fetch_users(ids)
    friend_lists = fetch_friend_ids(ids)
    wanted = list(dict.fromkeys(f for fs in friend_lists for f in fs))
    names = {i: r["name"] for i, r in zip(wanted, fetch_users(wanted), strict=True)}
    return {
        "users": [
            {
                "user/id": i,
                "user/name": r["name"],
                "user/email": r["email"],
                "user/age": r["age"],
                "user/city": r["city"],
                "user/friends": [{"user/id": f, "user/name": names[f]} for f in fs],
            }
            for i, r, fs in zip(ids, rows, friend_lists, strict=True)
        ]
    }


# --- harness -------------------------------------------------------------------------------


def same_answer() -> None:
    ours, hand, gql = run_ouroboros(), run_hand(), run_strawberry()
    assert ours == hand, "Ouroboros and the hand loop disagree"
    flat = [
        {
            "user/id": u["id"],
            "user/name": u["name"],
            "user/email": u["email"],
            "user/age": u["age"],
            "user/city": u["city"],
            "user/friends": [{"user/id": f["id"], "user/name": f["name"]} for f in u["friends"]],
        }
        for u in gql["users"]
    ]
    assert flat == hand["users"], "Strawberry and the hand loop disagree"


def best_of(fn: Any, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 users, one repetition (CI smoke)")
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args()
    n = args.users or (200 if args.quick else 2000)
    repeat = args.repeat or (1 if args.quick else 7)
    build_db(n)
    same_answer()
    entities = n + 3 * n
    print(
        f"{n} users x (5 attributes + 3 friends x 2 attributes) = {entities} entity levels; best of {repeat}"
    )
    results = {}
    for label, fn in [
        ("hand loop", run_hand),
        ("ouroboros", run_ouroboros),
        ("strawberry", run_strawberry),
    ]:
        best, median = best_of(fn, repeat)
        results[label] = best
        print(f"  {label:<11} best {best * 1000:8.2f} ms   median {median * 1000:8.2f} ms")
    ours, floor, gql = results["ouroboros"], results["hand loop"], results["strawberry"]
    print(f"  strawberry / ouroboros = {gql / ours:5.1f}x faster   (goal >= 10x)")
    print(f"  ouroboros / hand loop  = {ours / floor:5.1f}x slower   (goal <= 5x)")


if __name__ == "__main__":
    main()
