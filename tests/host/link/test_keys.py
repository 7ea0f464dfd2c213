"""Key files and keys.bin: created 0600 from their first instant (never visible wider, whatever the
umask), atomically, never over an existing file; key files that cannot be flown are refused."""

import json
import os
import stat

import pytest

from zarya.cli import main
from zarya.link import keys as keys_module
from zarya.link.keys import DEV_KEY, KeyFileError, keys_bin, load_key_file, new_key_file, write_private


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def watched(monkeypatch):
    """Every file the key code opens is checked at once (before a byte is written), and again when
    it is linked or renamed into place: its mode must be 0600 at both moments."""
    seen = []
    real_open, real_link, real_rename = os.open, os.link, os.rename

    def checked_open(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if flags & os.O_CREAT:
            seen.append(("open", str(path), stat.S_IMODE(os.fstat(fd).st_mode), os.fstat(fd).st_size))
        return fd

    def checked_link(src, dst, *args, **kwargs):
        seen.append(("link", str(dst), mode(src), os.stat(src).st_size))
        return real_link(src, dst, *args, **kwargs)

    def checked_rename(src, dst, *args, **kwargs):
        seen.append(("rename", str(dst), mode(src), os.stat(src).st_size))
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(keys_module.os, "open", checked_open)
    monkeypatch.setattr(keys_module.os, "link", checked_link)
    monkeypatch.setattr(keys_module.os, "rename", checked_rename)
    return seen


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o002])
def test_key_files_are_0600_from_creation_under_any_umask(tmp_path, watched, umask):
    old = os.umask(umask)
    try:
        path = new_key_file(tmp_path / "flight.key", 7)
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    created = [w for w in watched if w[0] == "open"]
    assert created and all(m == 0o600 and size == 0 for _, _, m, size in created)  # 0600 while still empty
    placed = [w for w in watched if w[0] in ("link", "rename")]
    assert placed and all(m == 0o600 and size > 0 for _, _, m, size in placed)  # whole and 0600 when it appears
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flight.key"]  # no temporary file left behind
    key = load_key_file(path)
    assert key.key_id == 7 and len(key.key) == 32 and not key.development


def test_write_private_never_replaces_a_file(tmp_path):
    target = tmp_path / "k"
    target.write_text("precious")
    with pytest.raises(KeyFileError, match="exists"):
        write_private(target, b"new")
    assert target.read_text() == "precious" and sorted(p.name for p in tmp_path.iterdir()) == ["k"]


def test_keys_new_writes_the_key_and_its_keys_bin_both_0600(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        assert main(["keys", "new", str(tmp_path / "flight.key"), "--key-id", "3"]) == 0
    finally:
        os.umask(old)
    key = load_key_file(tmp_path / "flight.key")
    bin_path = tmp_path / "flight.keys.bin"
    assert mode(tmp_path / "flight.key") == 0o600 and mode(bin_path) == 0o600
    assert bin_path.read_bytes() == keys_bin(key) == bytes([3]) + key.key and len(bin_path.read_bytes()) == 33
    assert "zarya flash --port PORT --key" in capsys.readouterr().out


@pytest.mark.parametrize("key_id", ["0", "256", "300", "-1"])
def test_keys_new_refuses_a_bad_key_id_and_writes_nothing(tmp_path, capsys, key_id):
    assert main(["keys", "new", str(tmp_path / "k.key"), "--key-id", key_id]) == 1
    err = capsys.readouterr().err
    assert "key id must be" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_keys_new_refuses_when_the_keys_bin_exists_and_creates_no_key(tmp_path, capsys):
    (tmp_path / "k.keys.bin").write_bytes(b"old")
    assert main(["keys", "new", str(tmp_path / "k.key")]) == 1
    assert "exists" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.keys.bin"]


def key_file(tmp_path, key_id=1, key: bytes | None = None, file_mode=0o600):
    path = tmp_path / "k.key"
    path.write_text(json.dumps({"key_id": key_id, "key": (key or os.urandom(32)).hex()}))
    path.chmod(file_mode)
    return path


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"key_id": 300}, "key id must be 1..255"),
    ({"key_id": 0}, "key id must be 1..255"),
    ({"key_id": "1"}, "key id must be 1..255"),
    ({"key": DEV_KEY}, "development key"),
    ({"key": bytes(32)}, "one repeated byte"),
    ({"key": b"\x01" * 16}, "must be 32 bytes"),
    ({"file_mode": 0o644}, "readable by others"),
])
def test_key_files_that_cannot_be_flown_are_refused(tmp_path, kwargs, message):
    with pytest.raises(KeyFileError, match=message):
        load_key_file(key_file(tmp_path, **kwargs))


def test_a_file_that_is_not_a_key_file_is_refused(tmp_path):
    for content in (b"\xff\xfe\x00binary", b"[1, 2]", b'{"key_id": 1}', b"not json"):
        path = tmp_path / "k.key"
        path.write_bytes(content)
        path.chmod(0o600)
        with pytest.raises(KeyFileError, match="not a Zarya key file"):
            load_key_file(path)
    with pytest.raises(KeyFileError, match="no such key file"):
        load_key_file(tmp_path / "missing.key")
