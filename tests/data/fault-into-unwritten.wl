# A write fault into a fallocated (unwritten) extent, committed first
create /f --size 4K
fallocate /f --offset 0 --len 4K
commit
fault /f --offset 0 --write --pattern DATA
commit
msync /f
