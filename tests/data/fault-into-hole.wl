# DESIGN §4's canonical one-fault workload: a write fault into a hole
create /f --size 4K
fault /f --offset 0 --write --pattern DATA
commit          # background persistence of metadata (jbd2 commit, or the flusher's writeback)
msync /f
