# several files: create, truncate, fallocate, faults, write, punch, msync, rm
create /d --dir
create /d/a --size 64K
create /d/b
truncate /d/b --size 32K
fallocate /d/b --offset 0 --len 32K
commit
fault /d/a --offset 0 --write --pattern AAAA
fault /d/a --offset 8K --write --pattern A2A2
fault /d/b --offset 4K --write --pattern BBBB
write /d/b --offset 16K --pattern WW --len 100
commit
punch /d/a --offset 8K --len 4K
msync /d/a
msync /d/b
create /c --size 8K
fault /c --offset 4K --write --pattern CC
rm /d/b
commit
msync /c
