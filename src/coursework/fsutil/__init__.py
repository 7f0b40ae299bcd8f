"""fsutil: the one home for atomic writes, atomic folder swaps, folder ownership and bounded file locks.

Every file the project writes goes through here: a temp file beside the target, then a rename, so a
reader (or a run killed mid-write) sees the old content or the new, never half of it. The three
modules are its seams; callers import from `coursework.fsutil`.
"""

from coursework.fsutil.atomic import (atomic_path, atomic_write_bytes, atomic_write_text, file_sha256, install_dir,
                                      recover_dir, staging_dir, swap_dir)
from coursework.fsutil.locking import LockTimeout, bounded_lock, claim_dir, claimed_dir, lock_timeout
from coursework.fsutil.owners import (OWNER_FILE, folder_owner_dead, host_id, owned_by_dead_process, owner_tag,
                                      owner_token, process_alive, process_start, process_tags, run_dir,
                                      tags_of_dead_process, token_owner)

__all__ = [
    "OWNER_FILE", "LockTimeout", "atomic_path", "atomic_write_bytes", "atomic_write_text", "bounded_lock", "claim_dir",
    "claimed_dir", "file_sha256", "folder_owner_dead", "host_id", "install_dir", "lock_timeout", "owned_by_dead_process",
    "owner_tag", "owner_token", "process_alive", "process_start", "process_tags", "recover_dir", "run_dir",
    "staging_dir", "swap_dir", "tags_of_dead_process", "token_owner",
]
