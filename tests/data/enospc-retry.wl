# On a full file system: blocks freed by the punch wait for the running transaction to commit;
# the fault hits ENOSPC, forces the commit and retries
punch /a --offset 0 --len 64K
fault /b --offset 0 --write --pattern X
commit
msync /b
