
use builtin;
use str;

set edit:completion:arg-completer[e4dax] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'e4dax'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'e4dax'= {
            cand --time 'Accepted before the command for compatibility; the command''s own --time'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand --no-checkpoint 'Accepted before the command for compatibility; the command''s own --no-checkpoint'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand mkfs 'Create an ext4 file system image (block size 4096, as DAX needs)'
            cand create 'Create a file or directory'
            cand fallocate 'Allocate unwritten extents over a range, as fallocate(2)'
            cand punch 'Punch a hole: free the blocks of a range (size unchanged)'
            cand rm 'Remove a file or an empty directory'
            cand ls 'List a directory (names and inode numbers)'
            cand read 'Read a file: holes and unwritten extents read as zeros'
            cand journal-replay 'Replay the journal as mount or e2fsck would, and report what it held'
            cand fsck 'Check (and repair) a file system, as e2fsck does, with e2fsck''s exit codes'
            cand inspect 'Show on-disk structures, as dumpe2fs and debugfs do; never writes'
            cand fault 'Run the DAX page fault on a file, step by step (read or write, shared or private)'
            cand write 'Write data into a file through the DAX write(2) path'
            cand truncate 'Set a file''s size, as ftruncate(2): growing adds a hole, shrinking frees blocks'
            cand msync 'Make a file''s dirty mapped pages durable and commit, as msync(2)'
            cand run 'Run a workload file (one operation a line) within one mount'
            cand crash 'Explore every crash state of a workload: replay, fsck and the data oracle on each'
            cand demo 'One write fault under each policy and known bug, every crash state explored: a table'
            cand generate 'Write man pages or shell completions (for packagers and the repository)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;mkfs'= {
            cand --size 'Image size: bytes, or with a K, M, G or T suffix (at least 16M)'
            cand --journal-size 'Journal size (default: as mkfs.ext4 picks for the image size)'
            cand --inodes 'Number of inodes (default: one per 16 KiB)'
            cand --uuid 'File system UUID (default: random)'
            cand --label 'Volume label (at most 16 bytes)'
            cand --block-size 'Block size; only 4096 is accepted (DAX needs block size = page size)'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --poison 'Fill every free block with the stale-data pattern (see README)'
            cand --no-journal 'Make a file system without a journal (for the ext2 policy)'
            cand --force 'Overwrite an existing non-empty file'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;create'= {
            cand --size 'Give the new file this size (a hole; accepts K, M, G, T suffixes)'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --dir 'Create a directory'
            cand -p 'Create missing parent directories too'
            cand --parents 'Create missing parent directories too'
            cand --no-checkpoint 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;fallocate'= {
            cand --offset 'Byte offset (accepts K, M, G, T suffixes)'
            cand --len 'Length in bytes (accepts K, M, G, T suffixes)'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --no-checkpoint 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
            cand --keep-size 'Do not change the file size (unwritten extents may lie past it)'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;punch'= {
            cand --offset 'Byte offset (accepts K, M, G, T suffixes)'
            cand --len 'Length in bytes (accepts K, M, G, T suffixes)'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --no-checkpoint 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;rm'= {
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --no-checkpoint 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;ls'= {
            cand -l 'Long listing, as debugfs ls -l: inode, mode, uid, gid, size, modification time, name'
            cand --long 'Long listing, as debugfs ls -l: inode, mode, uid, gid, size, modification time, name'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;read'= {
            cand --offset 'Byte offset to start at'
            cand --len 'Bytes to read (default: to the end of the file)'
            cand --out 'Write the bytes to FILE instead of standard output (a regular FILE is written sparse: holes and unwritten extents stay holes)'
            cand --hexdump 'Print a hex dump instead of raw bytes'
            cand --check-stale 'Report every block of a written extent that holds the stale-data pattern (past i_size too, unless --len limits the range: a truncate up would expose it); exit 1 if any'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;journal-replay'= {
            cand --dry-run 'Report what would be replayed without writing anything'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;fsck'= {
            cand -b 'Use the superblock at block SUPERBLOCK (a backup: 32768 with 4 KiB blocks, 8193 with 1 KiB), as e2fsck -b; it replaces the primary when the check writes'
            cand -C 'Progress: 0 draws a bar on the terminal, another FD gets e2fsck''s "pass done total device" lines'
            cand --jobs 'Threads: with more than one, pass 1 reads inodes ahead and the data pass scans blocks on N threads (default 1: on two cores reading ahead costs pass 1 more than it saves; --data scans faster); the output is the same for any number'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand -n 'Check only: open read-only and change nothing (the default without a terminal)'
            cand -p 'Fix only what is safe without asking; exit 4 when anything else is found (-a: the same)'
            cand -a 'Fix only what is safe without asking; exit 4 when anything else is found (-a: the same)'
            cand -y 'Fix everything that can be fixed'
            cand -f 'Check even a file system marked clean (without it a clean one is not checked, as e2fsck); these flags may be repeated, as e2fsck''s'
            cand -v 'Print statistics at the end, as e2fsck -v'
            cand --data 'Also run the data pass: report every block of a written extent that holds the stale-data pattern (past i_size too), as read --check-stale does (checks a clean file system too)'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand super 'The superblock and journal superblock, every field dumpe2fs -h prints, in its words'
            cand groups 'Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)'
            cand extents 'A file''s extent tree level by level (like debugfs ex), with node checksum verdicts'
            cand journal 'The journal''s log block by block (like debugfs logdump -a), with checksum verdicts'
            cand inode 'One inode''s fields (like debugfs stat): times with nanoseconds, project id, extended attributes, extents'
            cand icheck 'Which inode owns each block (like debugfs icheck)'
            cand ncheck 'The path names of inodes (like debugfs ncheck)'
            cand bmap 'The physical block of a file''s logical block (like debugfs bmap); 0 for a hole'
            cand blocks 'A file''s blocks in block-iterate order, indirect and extent tree blocks included (like debugfs blocks)'
            cand testb 'Whether blocks are marked in use in the block bitmap (like debugfs testb)'
            cand testi 'Whether an inode is marked in use in the inode bitmap (like debugfs testi)'
            cand map 'What holds each block: counts by owner, or a picture with --svg'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;inspect;super'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;groups'= {
            cand --full 'Every group as dumpe2fs prints it: superblock and descriptor copies, bitmaps with their checksums, inode table, free block and inode ranges'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;extents'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;journal'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;inode'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;icheck'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;ncheck'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;bmap'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;blocks'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;testb'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;testi'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;map'= {
            cand --svg 'Draw the block groups as rows of blocks coloured by owner, with a legend'
            cand --file 'Outline the blocks of this file (a path or <INO>)'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;help'= {
            cand super 'The superblock and journal superblock, every field dumpe2fs -h prints, in its words'
            cand groups 'Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)'
            cand extents 'A file''s extent tree level by level (like debugfs ex), with node checksum verdicts'
            cand journal 'The journal''s log block by block (like debugfs logdump -a), with checksum verdicts'
            cand inode 'One inode''s fields (like debugfs stat): times with nanoseconds, project id, extended attributes, extents'
            cand icheck 'Which inode owns each block (like debugfs icheck)'
            cand ncheck 'The path names of inodes (like debugfs ncheck)'
            cand bmap 'The physical block of a file''s logical block (like debugfs bmap); 0 for a hole'
            cand blocks 'A file''s blocks in block-iterate order, indirect and extent tree blocks included (like debugfs blocks)'
            cand testb 'Whether blocks are marked in use in the block bitmap (like debugfs testb)'
            cand testi 'Whether an inode is marked in use in the inode bitmap (like debugfs testi)'
            cand map 'What holds each block: counts by owner, or a picture with --svg'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;inspect;help;super'= {
        }
        &'e4dax;inspect;help;groups'= {
        }
        &'e4dax;inspect;help;extents'= {
        }
        &'e4dax;inspect;help;journal'= {
        }
        &'e4dax;inspect;help;inode'= {
        }
        &'e4dax;inspect;help;icheck'= {
        }
        &'e4dax;inspect;help;ncheck'= {
        }
        &'e4dax;inspect;help;bmap'= {
        }
        &'e4dax;inspect;help;blocks'= {
        }
        &'e4dax;inspect;help;testb'= {
        }
        &'e4dax;inspect;help;testi'= {
        }
        &'e4dax;inspect;help;map'= {
        }
        &'e4dax;inspect;help;help'= {
        }
        &'e4dax;fault'= {
            cand --offset 'Byte offset of the faulting access'
            cand --len 'Bytes to fault (page by page; default: the data''s length, or one byte)'
            cand --data 'Bytes in hex (e.g. 00ff10)'
            cand --pattern 'A text, repeated over --len when given'
            cand --from 'The contents of FILE'
            cand --policy 'Fault-path policy'
            cand --inject 'Turn the policy into a known bug (repeatable)'
            cand --stop-after 'Run up to and including STEP, print the in-flight state, then end like a power cut (the image keeps only what was durable)'
            cand --race-read-after 'Let a second reader read the page right after STEP of the writer, and report what it saw'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --read 'A read fault'
            cand --write 'A write fault (the process stores the data given, if any)'
            cand --private 'A private mapping: a write copies the page (nothing allocated, the image unchanged)'
            cand --keep-pending 'With --stop-after: keep every store issued so far (the optimistic crash state)'
            cand --trace 'Print one row per step: context, locks, blocks, extent state, transaction, stores'
            cand --msync 'msync the range after the fault (the process''s own fence, then a commit)'
            cand --no-checkpoint 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'e4dax;write'= {
            cand --offset 'Byte offset'
            cand --len 'Bytes to write (with --pattern: the pattern repeated over LEN)'
            cand --data 'Bytes in hex (e.g. 00ff10)'
            cand --pattern 'A text, repeated over --len when given'
            cand --from 'The contents of FILE'
            cand --policy 'Fault-path policy'
            cand --inject 'Turn the policy into a known bug (repeatable)'
            cand --stop-after 'Run up to and including STEP, print the in-flight state, then end like a power cut (the image keeps only what was durable)'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --keep-pending 'With --stop-after: keep every store issued so far (the optimistic crash state)'
            cand --trace 'Print one row per step: context, locks, blocks, extent state, transaction, stores'
            cand --no-checkpoint 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'e4dax;truncate'= {
            cand --size 'New size (accepts K, M, G, T suffixes)'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --no-checkpoint 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;msync'= {
            cand --offset 'Start of the range (with --len)'
            cand --len 'Length of the range (with --offset)'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --no-checkpoint 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;run'= {
            cand --policy 'Fault-path policy'
            cand --inject 'Turn the policy into a known bug (repeatable)'
            cand --stop-after 'Run up to and including STEP, print the in-flight state, then end like a power cut (the image keeps only what was durable)'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --keep-pending 'With --stop-after: keep every store issued so far (the optimistic crash state)'
            cand --trace 'Print one row per step: context, locks, blocks, extent state, transaction, stores'
            cand --no-checkpoint 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'e4dax;crash'= {
            cand --policy 'Fault-path policy'
            cand --inject 'Turn the policy into a known bug (repeatable)'
            cand --at-step 'Only crash points inside STEP (a fault-path step, or commit, checkpoint, writeback, msync)'
            cand --granularity 'What persists as a whole: cache lines, or 8-byte words (torn stores)'
            cand --max-states 'Per crash point: every state when there are at most N, else a seeded sample of N'
            cand --seed 'Seed of the samples'
            cand --save 'Write one reproducer per distinct violation (class and step): crash image and state.json'
            cand --shard 'Explore the K-th of N disjoint parts of the crash points (K from 1)'
            cand --jobs 'Worker threads (default: every core)'
            cand --svg 'Draw the trace as a timeline (one band per context, points coloured by outcome)'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --reduce 'Check the jbd2 ordering invariants, then explore only the stores they do not protect'
            cand --minimize 'Shrink each saved reproducer''s persisted lines to a minimal set that still fails'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand replay 'Rebuild a saved crash state''s image bit for bit from its state.json'
            cand merge 'Merge the JSON reports of --shard runs into the unsharded totals'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;crash;replay'= {
            cand --base 'The base image (default: the path recorded in state.json)'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;crash;merge'= {
            cand --svg 'Draw the merged timeline'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;crash;help'= {
            cand replay 'Rebuild a saved crash state''s image bit for bit from its state.json'
            cand merge 'Merge the JSON reports of --shard runs into the unsharded totals'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;crash;help;replay'= {
        }
        &'e4dax;crash;help;merge'= {
        }
        &'e4dax;crash;help;help'= {
        }
        &'e4dax;demo'= {
            cand --dir 'Keep the image, reproducers and pictures here (default: a new temporary directory)'
            cand --max-states 'Per crash point: every state when there are at most N, else a seeded sample of N'
            cand --time 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)'
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;generate'= {
            cand --json 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'e4dax;help'= {
            cand mkfs 'Create an ext4 file system image (block size 4096, as DAX needs)'
            cand create 'Create a file or directory'
            cand fallocate 'Allocate unwritten extents over a range, as fallocate(2)'
            cand punch 'Punch a hole: free the blocks of a range (size unchanged)'
            cand rm 'Remove a file or an empty directory'
            cand ls 'List a directory (names and inode numbers)'
            cand read 'Read a file: holes and unwritten extents read as zeros'
            cand journal-replay 'Replay the journal as mount or e2fsck would, and report what it held'
            cand fsck 'Check (and repair) a file system, as e2fsck does, with e2fsck''s exit codes'
            cand inspect 'Show on-disk structures, as dumpe2fs and debugfs do; never writes'
            cand fault 'Run the DAX page fault on a file, step by step (read or write, shared or private)'
            cand write 'Write data into a file through the DAX write(2) path'
            cand truncate 'Set a file''s size, as ftruncate(2): growing adds a hole, shrinking frees blocks'
            cand msync 'Make a file''s dirty mapped pages durable and commit, as msync(2)'
            cand run 'Run a workload file (one operation a line) within one mount'
            cand crash 'Explore every crash state of a workload: replay, fsck and the data oracle on each'
            cand demo 'One write fault under each policy and known bug, every crash state explored: a table'
            cand generate 'Write man pages or shell completions (for packagers and the repository)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;help;mkfs'= {
        }
        &'e4dax;help;create'= {
        }
        &'e4dax;help;fallocate'= {
        }
        &'e4dax;help;punch'= {
        }
        &'e4dax;help;rm'= {
        }
        &'e4dax;help;ls'= {
        }
        &'e4dax;help;read'= {
        }
        &'e4dax;help;journal-replay'= {
        }
        &'e4dax;help;fsck'= {
        }
        &'e4dax;help;inspect'= {
            cand super 'The superblock and journal superblock, every field dumpe2fs -h prints, in its words'
            cand groups 'Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)'
            cand extents 'A file''s extent tree level by level (like debugfs ex), with node checksum verdicts'
            cand journal 'The journal''s log block by block (like debugfs logdump -a), with checksum verdicts'
            cand inode 'One inode''s fields (like debugfs stat): times with nanoseconds, project id, extended attributes, extents'
            cand icheck 'Which inode owns each block (like debugfs icheck)'
            cand ncheck 'The path names of inodes (like debugfs ncheck)'
            cand bmap 'The physical block of a file''s logical block (like debugfs bmap); 0 for a hole'
            cand blocks 'A file''s blocks in block-iterate order, indirect and extent tree blocks included (like debugfs blocks)'
            cand testb 'Whether blocks are marked in use in the block bitmap (like debugfs testb)'
            cand testi 'Whether an inode is marked in use in the inode bitmap (like debugfs testi)'
            cand map 'What holds each block: counts by owner, or a picture with --svg'
        }
        &'e4dax;help;inspect;super'= {
        }
        &'e4dax;help;inspect;groups'= {
        }
        &'e4dax;help;inspect;extents'= {
        }
        &'e4dax;help;inspect;journal'= {
        }
        &'e4dax;help;inspect;inode'= {
        }
        &'e4dax;help;inspect;icheck'= {
        }
        &'e4dax;help;inspect;ncheck'= {
        }
        &'e4dax;help;inspect;bmap'= {
        }
        &'e4dax;help;inspect;blocks'= {
        }
        &'e4dax;help;inspect;testb'= {
        }
        &'e4dax;help;inspect;testi'= {
        }
        &'e4dax;help;inspect;map'= {
        }
        &'e4dax;help;fault'= {
        }
        &'e4dax;help;write'= {
        }
        &'e4dax;help;truncate'= {
        }
        &'e4dax;help;msync'= {
        }
        &'e4dax;help;run'= {
        }
        &'e4dax;help;crash'= {
            cand replay 'Rebuild a saved crash state''s image bit for bit from its state.json'
            cand merge 'Merge the JSON reports of --shard runs into the unsharded totals'
        }
        &'e4dax;help;crash;replay'= {
        }
        &'e4dax;help;crash;merge'= {
        }
        &'e4dax;help;demo'= {
        }
        &'e4dax;help;generate'= {
        }
        &'e4dax;help;help'= {
        }
    ]
    $completions[$command]
}
