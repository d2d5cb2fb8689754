"""A MongoDB stand-in for the tests: MongoDB's wire protocol on a loopback port, mongomock behind.

There is no MongoDB server (and no Docker) where the tests run, yet `invoke serve --docdb
mongodb://...` must be tried against a real socket and a real driver. This server speaks what
pymongo 4 sends: the OP_QUERY handshake (answered with OP_REPLY) and OP_MSG for every command
after it. Commands run against one in-memory mongomock client. Faults are injected as in a real
MongoDB test deployment, with the `configureFailPoint` command (`failCommand`: `errorCode` or
`closeConnection`, for the listed commands, `times` N or `alwaysOn`).

Runs in the workspace environment (needs pymongo's bson and mongomock):
`python tests/mongo_standin.py [--port 0]` prints `listening on 127.0.0.1:PORT` and serves
until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import datetime
import signal
import socketserver
import struct
import sys
import threading
import time
from typing import Any

import bson
import mongomock
from bson.int64 import Int64

OP_REPLY = 1
OP_QUERY = 2004
OP_MSG = 2013
HEADER = struct.Struct("<iiii")
MAX_WIRE_VERSION = 17  # MongoDB 6.0, the version ixoncdkingress's container runs
CHECKSUM_PRESENT = 1
MORE_TO_COME = 2


class CommandError(Exception):
    """A command failed the way MongoDB reports it: `{ok: 0, errmsg, code, codeName}`."""

    def __init__(self, message: str, code: int, code_name: str) -> None:
        super().__init__(message)
        self.code = code
        self.code_name = code_name


class Backend:
    """The documents (mongomock) and the fail points, shared by all connections."""

    def __init__(self) -> None:
        self.client = mongomock.MongoClient()
        self.lock = threading.Lock()
        self.fail_point: dict[str, Any] | None = None
        self.commands: list[str] = []
        self.connections = 0

    def run(self, db_name: str, command: dict[str, Any]) -> dict[str, Any]:
        """The reply document to `command` on database `db_name`."""
        name = next(iter(command))
        with self.lock:
            self.commands.append(name)
            self._fail_if_asked(name)
            handler = getattr(self, f"cmd_{name.lower()}", None)
            if handler is None:
                raise CommandError(f"no such command: '{name}'", 59, "CommandNotFound")
            reply = handler(self.client[db_name], command)
        reply.setdefault("ok", 1.0)
        return reply

    def _fail_if_asked(self, name: str) -> None:
        point = self.fail_point
        if not point or name not in point["data"].get("failCommands", []):
            return
        mode = point["mode"]
        if isinstance(mode, dict):
            mode["times"] -= 1
            if mode["times"] <= 0:
                self.fail_point = None
        if point["data"].get("closeConnection"):
            raise ConnectionAbortedError(name)
        code = int(point["data"].get("errorCode", 8))
        message = point["data"].get("errmsg", f"Failing command {name} via 'failCommand'")
        raise CommandError(message, code, point["data"].get("codeName", "UnknownError"))

    # --- commands: handshake and housekeeping
    def cmd_hello(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        return {
            "helloOk": True,
            "isWritablePrimary": True,
            "ismaster": True,
            "maxBsonObjectSize": 16 * 1024 * 1024,
            "maxMessageSizeBytes": 48_000_000,
            "maxWriteBatchSize": 100_000,
            "localTime": datetime.datetime.now(datetime.UTC),
            "logicalSessionTimeoutMinutes": 30,
            "connectionId": self.connections,
            "minWireVersion": 0,
            "maxWireVersion": MAX_WIRE_VERSION,
            "readOnly": False,
        }

    cmd_ismaster = cmd_hello

    def cmd_ping(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        return {}

    def cmd_buildinfo(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        return {"version": "6.0.6", "versionArray": [6, 0, 6, 0]}

    def cmd_endsessions(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        return {}

    def cmd_killcursors(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        return {"cursorsKilled": command.get("cursors", [])}

    def cmd_configurefailpoint(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        mode = command.get("mode")
        if mode == "off":
            self.fail_point = None
        else:
            self.fail_point = {"mode": mode, "data": command.get("data", {})}
        return {}

    # --- commands: documents
    def cmd_insert(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        documents = command.get("documents", [])
        db[command["insert"]].insert_many(documents)
        return {"n": len(documents)}

    def cmd_find(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        cursor = db[command["find"]].find(
            command.get("filter", {}), projection=command.get("projection")
        )
        if command.get("sort"):
            cursor = cursor.sort(list(command["sort"].items()))
        if command.get("skip"):
            cursor = cursor.skip(command["skip"])
        if command.get("limit"):
            cursor = cursor.limit(abs(command["limit"]))
        return _cursor(db, command["find"], list(cursor))

    def cmd_aggregate(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        documents = list(db[command["aggregate"]].aggregate(command.get("pipeline", [])))
        return _cursor(db, command["aggregate"], documents)

    def cmd_count(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        return {"n": db[command["count"]].count_documents(command.get("query") or {})}

    def cmd_update(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        collection = db[command["update"]]
        matched = modified = 0
        upserted = []
        for index, update in enumerate(command.get("updates", [])):
            method = collection.update_many if update.get("multi") else collection.update_one
            result = method(update["q"], update["u"], upsert=bool(update.get("upsert")))
            matched += result.matched_count
            modified += result.modified_count
            if result.upserted_id is not None:
                upserted.append({"index": index, "_id": result.upserted_id})
        reply: dict[str, Any] = {"n": matched + len(upserted), "nModified": modified}
        if upserted:
            reply["upserted"] = upserted
        return reply

    def cmd_delete(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        collection = db[command["delete"]]
        deleted = 0
        for delete in command.get("deletes", []):
            method = collection.delete_one if delete.get("limit") == 1 else collection.delete_many
            deleted += method(delete["q"]).deleted_count
        return {"n": deleted}

    def cmd_listcollections(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        names = db.list_collection_names()
        return _cursor(
            db, "$cmd.listCollections", [{"name": n, "type": "collection"} for n in names]
        )

    def cmd_listdatabases(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        names = self.client.list_database_names()
        return {"databases": [{"name": n, "sizeOnDisk": 0, "empty": False} for n in names]}

    def cmd_drop(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        db.drop_collection(command["drop"])
        return {}

    def cmd_dropdatabase(self, db: Any, command: dict[str, Any]) -> dict[str, Any]:
        self.client.drop_database(db.name)
        return {}


def _cursor(db: Any, collection: str, documents: list[Any]) -> dict[str, Any]:
    # Every result fits in the first batch, so no cursor stays open (id 0).
    return {"cursor": {"firstBatch": documents, "id": Int64(0), "ns": f"{db.name}.{collection}"}}


def _error_reply(error: Exception) -> dict[str, Any]:
    if isinstance(error, CommandError):
        return {"ok": 0.0, "errmsg": str(error), "code": error.code, "codeName": error.code_name}
    if isinstance(error, mongomock.DuplicateKeyError):
        return {"ok": 0.0, "errmsg": str(error), "code": 11000, "codeName": "DuplicateKey"}
    return {
        "ok": 0.0,
        "errmsg": f"{type(error).__name__}: {error}",
        "code": 2,
        "codeName": "BadValue",
    }


class Connection(socketserver.BaseRequestHandler):
    """One client connection: read messages, answer each in the protocol it came in."""

    server: Server

    def handle(self) -> None:
        backend = self.server.backend
        backend.connections += 1
        while True:
            header = self._read(HEADER.size)
            if header is None:
                return
            length, request_id, _, opcode = HEADER.unpack(header)
            payload = self._read(length - HEADER.size)
            if payload is None:
                return
            try:
                if opcode == OP_MSG:
                    self._op_msg(backend, request_id, payload)
                elif opcode == OP_QUERY:
                    self._op_query(backend, request_id, payload)
                else:
                    return  # a message this stand-in does not speak: hang up, as MongoDB does
            except ConnectionAbortedError:
                return  # a failCommand with closeConnection

    def _read(self, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _send(self, opcode: int, response_to: int, payload: bytes) -> None:
        header = HEADER.pack(HEADER.size + len(payload), 0, response_to, opcode)
        self.request.sendall(header + payload)

    def _op_msg(self, backend: Backend, request_id: int, payload: bytes) -> None:
        flags = struct.unpack_from("<I", payload)[0]
        end = len(payload) - (4 if flags & CHECKSUM_PRESENT else 0)
        position = 4
        command: dict[str, Any] = {}
        while position < end:
            kind = payload[position]
            position += 1
            if kind == 0:
                size = struct.unpack_from("<i", payload, position)[0]
                command.update(bson.decode(payload[position : position + size]))
                position += size
            else:  # kind 1: a named sequence of documents, such as an insert's `documents`
                size = struct.unpack_from("<i", payload, position)[0]
                section = payload[position + 4 : position + size]
                name, _, documents = section.partition(b"\0")
                command[name.decode()] = bson.decode_all(documents)
                position += size
        db_name = command.pop("$db", "admin")
        reply = self._run(backend, db_name, command)
        if not flags & MORE_TO_COME:
            self._send(OP_MSG, request_id, struct.pack("<IB", 0, 0) + bson.encode(reply))

    def _op_query(self, backend: Backend, request_id: int, payload: bytes) -> None:
        name_end = payload.index(b"\0", 4)
        collection = payload[4:name_end].decode()
        position = name_end + 1 + 8  # numberToSkip, numberToReturn
        size = struct.unpack_from("<i", payload, position)[0]
        query = bson.decode(payload[position : position + size])
        command = query.get("$query", query)
        reply = self._run(backend, collection.split(".")[0], command)
        documents = bson.encode(reply)
        self._send(OP_REPLY, request_id, struct.pack("<iqii", 0, 0, 0, 1) + documents)

    def _run(self, backend: Backend, db_name: str, command: dict[str, Any]) -> dict[str, Any]:
        try:
            return backend.run(db_name, command)
        except ConnectionAbortedError:
            raise
        except Exception as error:  # every failure becomes MongoDB's error reply
            return _error_reply(error)


class Server(socketserver.ThreadingTCPServer):
    """The stand-in: `Server(("127.0.0.1", 0))`, then `serve_forever()`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, Connection)
        self.backend = Backend()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args(argv)
    server = Server(("127.0.0.1", options.port))
    received: list[int] = []  # a signal handler must not take locks, as Event.set does
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: received.append(signum))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    while not received:
        time.sleep(0.2)
    server.shutdown()
    server.server_close()
    thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
