# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_e4dax_global_optspecs
    string join \n json no-checkpoint time= h/help V/version
end

function __fish_e4dax_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_e4dax_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_e4dax_using_subcommand
    set -l cmd (__fish_e4dax_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c e4dax -n "__fish_e4dax_needs_command" -l time -d 'Accepted before the command for compatibility; the command\'s own --time' -r
complete -c e4dax -n "__fish_e4dax_needs_command" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_needs_command" -l no-checkpoint -d 'Accepted before the command for compatibility; the command\'s own --no-checkpoint'
complete -c e4dax -n "__fish_e4dax_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e4dax -n "__fish_e4dax_needs_command" -s V -l version -d 'Print version'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "mkfs" -d 'Create an ext4 file system image (block size 4096, as DAX needs)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "create" -d 'Create a file or directory'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "fallocate" -d 'Allocate unwritten extents over a range, as fallocate(2)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "punch" -d 'Punch a hole: free the blocks of a range (size unchanged)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "rm" -d 'Remove a file or an empty directory'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "ls" -d 'List a directory (names and inode numbers)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "read" -d 'Read a file: holes and unwritten extents read as zeros'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "journal-replay" -d 'Replay the journal as mount or e2fsck would, and report what it held'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "fsck" -d 'Check (and repair) a file system, as e2fsck does, with e2fsck\'s exit codes'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "inspect" -d 'Show on-disk structures, as dumpe2fs and debugfs do; never writes'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "fault" -d 'Run the DAX page fault on a file, step by step (read or write, shared or private)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "write" -d 'Write data into a file through the DAX write(2) path'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "truncate" -d 'Set a file\'s size, as ftruncate(2): growing adds a hole, shrinking frees blocks'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "msync" -d 'Make a file\'s dirty mapped pages durable and commit, as msync(2)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "run" -d 'Run a workload file (one operation a line) within one mount'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "crash" -d 'Explore every crash state of a workload: replay, fsck and the data oracle on each'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "demo" -d 'One write fault under each policy and known bug, every crash state explored: a table'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "generate" -d 'Write man pages or shell completions (for packagers and the repository)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l size -d 'Image size: bytes, or with a K, M, G or T suffix (at least 16M)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l journal-size -d 'Journal size (default: as mkfs.ext4 picks for the image size)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l inodes -d 'Number of inodes (default: one per 16 KiB)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l uuid -d 'File system UUID (default: random)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l label -d 'Volume label (at most 16 bytes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l block-size -d 'Block size; only 4096 is accepted (DAX needs block size = page size)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l poison -d 'Fill every free block with the stale-data pattern (see README)'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l no-journal -d 'Make a file system without a journal (for the ext2 policy)'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l force -d 'Overwrite an existing non-empty file'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -l size -d 'Give the new file this size (a hole; accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -l dir -d 'Create a directory'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -s p -l parents -d 'Create missing parent directories too'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -l no-checkpoint -d 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l offset -d 'Byte offset (accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l len -d 'Length in bytes (accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l no-checkpoint -d 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l keep-size -d 'Do not change the file size (unwritten extents may lie past it)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l offset -d 'Byte offset (accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l len -d 'Length in bytes (accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l no-checkpoint -d 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand rm" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand rm" -l no-checkpoint -d 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
complete -c e4dax -n "__fish_e4dax_using_subcommand rm" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand rm" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand ls" -s l -l long -d 'Long listing, as debugfs ls -l: inode, mode, uid, gid, size, modification time, name'
complete -c e4dax -n "__fish_e4dax_using_subcommand ls" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand ls" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l offset -d 'Byte offset to start at' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l len -d 'Bytes to read (default: to the end of the file)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l out -d 'Write the bytes to FILE instead of standard output (a regular FILE is written sparse: holes and unwritten extents stay holes)' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l hexdump -d 'Print a hex dump instead of raw bytes'
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l check-stale -d 'Report every block of a written extent that holds the stale-data pattern (past i_size too, unless --len limits the range: a truncate up would expose it); exit 1 if any'
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand journal-replay" -l dry-run -d 'Report what would be replayed without writing anything'
complete -c e4dax -n "__fish_e4dax_using_subcommand journal-replay" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand journal-replay" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s b -d 'Use the superblock at block SUPERBLOCK (a backup: 32768 with 4 KiB blocks, 8193 with 1 KiB), as e2fsck -b; it replaces the primary when the check writes' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s C -d 'Progress: 0 draws a bar on the terminal, another FD gets e2fsck\'s "pass done total device" lines' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -l jobs -d 'Threads: with more than one, pass 1 reads inodes ahead and the data pass scans blocks on N threads (default 1: on two cores reading ahead costs pass 1 more than it saves; --data scans faster); the output is the same for any number' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s n -d 'Check only: open read-only and change nothing (the default without a terminal)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s p -s a -d 'Fix only what is safe without asking; exit 4 when anything else is found (-a: the same)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s y -d 'Fix everything that can be fixed'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s f -d 'Check even a file system marked clean (without it a clean one is not checked, as e2fsck); these flags may be repeated, as e2fsck\'s'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s v -d 'Print statistics at the end, as e2fsck -v'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -l data -d 'Also run the data pass: report every block of a written extent that holds the stale-data pattern (past i_size too), as read --check-stale does (checks a clean file system too)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "super" -d 'The superblock and journal superblock, every field dumpe2fs -h prints, in its words'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "groups" -d 'Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "extents" -d 'A file\'s extent tree level by level (like debugfs ex), with node checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "journal" -d 'The journal\'s log block by block (like debugfs logdump -a), with checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "inode" -d 'One inode\'s fields (like debugfs stat): times with nanoseconds, project id, extended attributes, extents'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "icheck" -d 'Which inode owns each block (like debugfs icheck)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "ncheck" -d 'The path names of inodes (like debugfs ncheck)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "bmap" -d 'The physical block of a file\'s logical block (like debugfs bmap); 0 for a hole'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "blocks" -d 'A file\'s blocks in block-iterate order, indirect and extent tree blocks included (like debugfs blocks)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "testb" -d 'Whether blocks are marked in use in the block bitmap (like debugfs testb)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "testi" -d 'Whether an inode is marked in use in the inode bitmap (like debugfs testi)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "map" -d 'What holds each block: counts by owner, or a picture with --svg'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode icheck ncheck bmap blocks testb testi map help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from super" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from super" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from groups" -l full -d 'Every group as dumpe2fs prints it: superblock and descriptor copies, bitmaps with their checksums, inode table, free block and inode ranges'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from groups" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from groups" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from extents" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from extents" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from journal" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from journal" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from inode" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from inode" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from icheck" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from icheck" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from ncheck" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from ncheck" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from bmap" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from bmap" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from blocks" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from blocks" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from testb" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from testb" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from testi" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from testi" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from map" -l svg -d 'Draw the block groups as rows of blocks coloured by owner, with a legend' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from map" -l file -d 'Outline the blocks of this file (a path or <INO>)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from map" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from map" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "super" -d 'The superblock and journal superblock, every field dumpe2fs -h prints, in its words'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "groups" -d 'Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "extents" -d 'A file\'s extent tree level by level (like debugfs ex), with node checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "journal" -d 'The journal\'s log block by block (like debugfs logdump -a), with checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "inode" -d 'One inode\'s fields (like debugfs stat): times with nanoseconds, project id, extended attributes, extents'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "icheck" -d 'Which inode owns each block (like debugfs icheck)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "ncheck" -d 'The path names of inodes (like debugfs ncheck)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "bmap" -d 'The physical block of a file\'s logical block (like debugfs bmap); 0 for a hole'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "blocks" -d 'A file\'s blocks in block-iterate order, indirect and extent tree blocks included (like debugfs blocks)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "testb" -d 'Whether blocks are marked in use in the block bitmap (like debugfs testb)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "testi" -d 'Whether an inode is marked in use in the inode bitmap (like debugfs testi)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "map" -d 'What holds each block: counts by owner, or a picture with --svg'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l offset -d 'Byte offset of the faulting access' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l len -d 'Bytes to fault (page by page; default: the data\'s length, or one byte)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l data -d 'Bytes in hex (e.g. 00ff10)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l pattern -d 'A text, repeated over --len when given' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l from -d 'The contents of FILE' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l policy -d 'Fault-path policy' -r -f -a "ext2\t'No journal: zeroed with non-temporal stores and fenced before the link; writeback later'
unwritten\t'The seed\'s 2015 ext4 design: unwritten extent, cached zeroing, ordered-mode commit'
zeroed\t'The later kernel\'s design: zeroed (non-temporal + fence) and converted inside get-block'"
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l inject -d 'Turn the policy into a known bug (repeatable)' -r -f -a "skip-zero\t'The block keeps whatever it held (stale data)'
no-fence\t'The fence after non-temporal zeroing is skipped'
no-ordered\t'Commit does not flush ordered data first'
lock-inversion\t'get-block with create runs under the entry lock before a handle exists'"
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l stop-after -d 'Run up to and including STEP, print the in-flight state, then end like a power cut (the image keeps only what was durable)' -r -f -a "start-pagefault\t''
update-time\t''
journal-start\t''
lock-entry\t''
get-block\t''
zero-block\t''
insert-mapping\t''
convert-unwritten\t''
file-inode\t''
unlock-entry\t''
journal-stop\t''
end-pagefault\t''
user-store\t''
commit\t''
checkpoint\t''
writeback\t''
msync\t''"
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l race-read-after -d 'Let a second reader read the page right after STEP of the writer, and report what it saw' -r -f -a "start-pagefault\t''
update-time\t''
journal-start\t''
lock-entry\t''
get-block\t''
zero-block\t''
insert-mapping\t''
convert-unwritten\t''
file-inode\t''
unlock-entry\t''
journal-stop\t''
end-pagefault\t''
user-store\t''
commit\t''
checkpoint\t''
writeback\t''
msync\t''"
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l read -d 'A read fault'
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l write -d 'A write fault (the process stores the data given, if any)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l private -d 'A private mapping: a write copies the page (nothing allocated, the image unchanged)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l keep-pending -d 'With --stop-after: keep every store issued so far (the optimistic crash state)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l trace -d 'Print one row per step: context, locks, blocks, extent state, transaction, stores'
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l msync -d 'msync the range after the fault (the process\'s own fence, then a commit)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l no-checkpoint -d 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fault" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l offset -d 'Byte offset' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l len -d 'Bytes to write (with --pattern: the pattern repeated over LEN)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l data -d 'Bytes in hex (e.g. 00ff10)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l pattern -d 'A text, repeated over --len when given' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l from -d 'The contents of FILE' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l policy -d 'Fault-path policy' -r -f -a "ext2\t'No journal: zeroed with non-temporal stores and fenced before the link; writeback later'
unwritten\t'The seed\'s 2015 ext4 design: unwritten extent, cached zeroing, ordered-mode commit'
zeroed\t'The later kernel\'s design: zeroed (non-temporal + fence) and converted inside get-block'"
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l inject -d 'Turn the policy into a known bug (repeatable)' -r -f -a "skip-zero\t'The block keeps whatever it held (stale data)'
no-fence\t'The fence after non-temporal zeroing is skipped'
no-ordered\t'Commit does not flush ordered data first'
lock-inversion\t'get-block with create runs under the entry lock before a handle exists'"
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l stop-after -d 'Run up to and including STEP, print the in-flight state, then end like a power cut (the image keeps only what was durable)' -r -f -a "start-pagefault\t''
update-time\t''
journal-start\t''
lock-entry\t''
get-block\t''
zero-block\t''
insert-mapping\t''
convert-unwritten\t''
file-inode\t''
unlock-entry\t''
journal-stop\t''
end-pagefault\t''
user-store\t''
commit\t''
checkpoint\t''
writeback\t''
msync\t''"
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l keep-pending -d 'With --stop-after: keep every store issued so far (the optimistic crash state)'
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l trace -d 'Print one row per step: context, locks, blocks, extent state, transaction, stores'
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l no-checkpoint -d 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand write" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e4dax -n "__fish_e4dax_using_subcommand truncate" -l size -d 'New size (accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand truncate" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand truncate" -l no-checkpoint -d 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
complete -c e4dax -n "__fish_e4dax_using_subcommand truncate" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand truncate" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand msync" -l offset -d 'Start of the range (with --len)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand msync" -l len -d 'Length of the range (with --offset)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand msync" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand msync" -l no-checkpoint -d 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
complete -c e4dax -n "__fish_e4dax_using_subcommand msync" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand msync" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand run" -l policy -d 'Fault-path policy' -r -f -a "ext2\t'No journal: zeroed with non-temporal stores and fenced before the link; writeback later'
unwritten\t'The seed\'s 2015 ext4 design: unwritten extent, cached zeroing, ordered-mode commit'
zeroed\t'The later kernel\'s design: zeroed (non-temporal + fence) and converted inside get-block'"
complete -c e4dax -n "__fish_e4dax_using_subcommand run" -l inject -d 'Turn the policy into a known bug (repeatable)' -r -f -a "skip-zero\t'The block keeps whatever it held (stale data)'
no-fence\t'The fence after non-temporal zeroing is skipped'
no-ordered\t'Commit does not flush ordered data first'
lock-inversion\t'get-block with create runs under the entry lock before a handle exists'"
complete -c e4dax -n "__fish_e4dax_using_subcommand run" -l stop-after -d 'Run up to and including STEP, print the in-flight state, then end like a power cut (the image keeps only what was durable)' -r -f -a "start-pagefault\t''
update-time\t''
journal-start\t''
lock-entry\t''
get-block\t''
zero-block\t''
insert-mapping\t''
convert-unwritten\t''
file-inode\t''
unlock-entry\t''
journal-stop\t''
end-pagefault\t''
user-store\t''
commit\t''
checkpoint\t''
writeback\t''
msync\t''"
complete -c e4dax -n "__fish_e4dax_using_subcommand run" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand run" -l keep-pending -d 'With --stop-after: keep every store issued so far (the optimistic crash state)'
complete -c e4dax -n "__fish_e4dax_using_subcommand run" -l trace -d 'Print one row per step: context, locks, blocks, extent state, transaction, stores'
complete -c e4dax -n "__fish_e4dax_using_subcommand run" -l no-checkpoint -d 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck'
complete -c e4dax -n "__fish_e4dax_using_subcommand run" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l policy -d 'Fault-path policy' -r -f -a "ext2\t'No journal: zeroed with non-temporal stores and fenced before the link; writeback later'
unwritten\t'The seed\'s 2015 ext4 design: unwritten extent, cached zeroing, ordered-mode commit'
zeroed\t'The later kernel\'s design: zeroed (non-temporal + fence) and converted inside get-block'"
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l inject -d 'Turn the policy into a known bug (repeatable)' -r -f -a "skip-zero\t'The block keeps whatever it held (stale data)'
no-fence\t'The fence after non-temporal zeroing is skipped'
no-ordered\t'Commit does not flush ordered data first'
lock-inversion\t'get-block with create runs under the entry lock before a handle exists'"
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l at-step -d 'Only crash points inside STEP (a fault-path step, or commit, checkpoint, writeback, msync)' -r -f -a "start-pagefault\t''
update-time\t''
journal-start\t''
lock-entry\t''
get-block\t''
zero-block\t''
insert-mapping\t''
convert-unwritten\t''
file-inode\t''
unlock-entry\t''
journal-stop\t''
end-pagefault\t''
user-store\t''
commit\t''
checkpoint\t''
writeback\t''
msync\t''"
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l granularity -d 'What persists as a whole: cache lines, or 8-byte words (torn stores)' -r -f -a "line\t'64-byte cache lines: a line persists with a prefix of its stores'
word8\t'8-byte words: stores wider than 8 bytes may persist in 8-byte pieces'"
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l max-states -d 'Per crash point: every state when there are at most N, else a seeded sample of N' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l seed -d 'Seed of the samples' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l save -d 'Write one reproducer per distinct violation (class and step): crash image and state.json' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l shard -d 'Explore the K-th of N disjoint parts of the crash points (K from 1)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l jobs -d 'Worker threads (default: every core)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l svg -d 'Draw the trace as a timeline (one band per context, points coloured by outcome)' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l reduce -d 'Check the jbd2 ordering invariants, then explore only the stores they do not protect'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l minimize -d 'Shrink each saved reproducer\'s persisted lines to a minimal set that still fails'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -a "replay" -d 'Rebuild a saved crash state\'s image bit for bit from its state.json'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -a "merge" -d 'Merge the JSON reports of --shard runs into the unsharded totals'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and not __fish_seen_subcommand_from replay merge help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and __fish_seen_subcommand_from replay" -l base -d 'The base image (default: the path recorded in state.json)' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and __fish_seen_subcommand_from replay" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and __fish_seen_subcommand_from merge" -l svg -d 'Draw the merged timeline' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and __fish_seen_subcommand_from merge" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and __fish_seen_subcommand_from merge" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and __fish_seen_subcommand_from help" -f -a "replay" -d 'Rebuild a saved crash state\'s image bit for bit from its state.json'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and __fish_seen_subcommand_from help" -f -a "merge" -d 'Merge the JSON reports of --shard runs into the unsharded totals'
complete -c e4dax -n "__fish_e4dax_using_subcommand crash; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand demo" -l dir -d 'Keep the image, reproducers and pictures here (default: a new temporary directory)' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand demo" -l max-states -d 'Per crash point: every state when there are at most N, else a seeded sample of N' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand demo" -l time -d 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand demo" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand demo" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand generate" -l json -d 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)'
complete -c e4dax -n "__fish_e4dax_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "mkfs" -d 'Create an ext4 file system image (block size 4096, as DAX needs)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "create" -d 'Create a file or directory'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "fallocate" -d 'Allocate unwritten extents over a range, as fallocate(2)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "punch" -d 'Punch a hole: free the blocks of a range (size unchanged)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "rm" -d 'Remove a file or an empty directory'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "ls" -d 'List a directory (names and inode numbers)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "read" -d 'Read a file: holes and unwritten extents read as zeros'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "journal-replay" -d 'Replay the journal as mount or e2fsck would, and report what it held'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "fsck" -d 'Check (and repair) a file system, as e2fsck does, with e2fsck\'s exit codes'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "inspect" -d 'Show on-disk structures, as dumpe2fs and debugfs do; never writes'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "fault" -d 'Run the DAX page fault on a file, step by step (read or write, shared or private)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "write" -d 'Write data into a file through the DAX write(2) path'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "truncate" -d 'Set a file\'s size, as ftruncate(2): growing adds a hole, shrinking frees blocks'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "msync" -d 'Make a file\'s dirty mapped pages durable and commit, as msync(2)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "run" -d 'Run a workload file (one operation a line) within one mount'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "crash" -d 'Explore every crash state of a workload: replay, fsck and the data oracle on each'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "demo" -d 'One write fault under each policy and known bug, every crash state explored: a table'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "generate" -d 'Write man pages or shell completions (for packagers and the repository)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "super" -d 'The superblock and journal superblock, every field dumpe2fs -h prints, in its words'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "groups" -d 'Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "extents" -d 'A file\'s extent tree level by level (like debugfs ex), with node checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "journal" -d 'The journal\'s log block by block (like debugfs logdump -a), with checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "inode" -d 'One inode\'s fields (like debugfs stat): times with nanoseconds, project id, extended attributes, extents'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "icheck" -d 'Which inode owns each block (like debugfs icheck)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "ncheck" -d 'The path names of inodes (like debugfs ncheck)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "bmap" -d 'The physical block of a file\'s logical block (like debugfs bmap); 0 for a hole'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "blocks" -d 'A file\'s blocks in block-iterate order, indirect and extent tree blocks included (like debugfs blocks)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "testb" -d 'Whether blocks are marked in use in the block bitmap (like debugfs testb)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "testi" -d 'Whether an inode is marked in use in the inode bitmap (like debugfs testi)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "map" -d 'What holds each block: counts by owner, or a picture with --svg'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from crash" -f -a "replay" -d 'Rebuild a saved crash state\'s image bit for bit from its state.json'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from crash" -f -a "merge" -d 'Merge the JSON reports of --shard runs into the unsharded totals'
