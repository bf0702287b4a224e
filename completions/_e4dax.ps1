
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'e4dax' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'e4dax'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'e4dax' {
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Accepted before the command for compatibility; the command''s own --time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Accepted before the command for compatibility; the command''s own --no-checkpoint')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('mkfs', 'mkfs', [CompletionResultType]::ParameterValue, 'Create an ext4 file system image (block size 4096, as DAX needs)')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a file or directory')
            [CompletionResult]::new('fallocate', 'fallocate', [CompletionResultType]::ParameterValue, 'Allocate unwritten extents over a range, as fallocate(2)')
            [CompletionResult]::new('punch', 'punch', [CompletionResultType]::ParameterValue, 'Punch a hole: free the blocks of a range (size unchanged)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a file or an empty directory')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List a directory (names and inode numbers)')
            [CompletionResult]::new('read', 'read', [CompletionResultType]::ParameterValue, 'Read a file: holes and unwritten extents read as zeros')
            [CompletionResult]::new('journal-replay', 'journal-replay', [CompletionResultType]::ParameterValue, 'Replay the journal as mount or e2fsck would, and report what it held')
            [CompletionResult]::new('fsck', 'fsck', [CompletionResultType]::ParameterValue, 'Check (and repair) a file system, as e2fsck does, with e2fsck''s exit codes')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show on-disk structures, as dumpe2fs and debugfs do; never writes')
            [CompletionResult]::new('fault', 'fault', [CompletionResultType]::ParameterValue, 'Run the DAX page fault on a file, step by step (read or write, shared or private)')
            [CompletionResult]::new('write', 'write', [CompletionResultType]::ParameterValue, 'Write data into a file through the DAX write(2) path')
            [CompletionResult]::new('truncate', 'truncate', [CompletionResultType]::ParameterValue, 'Set a file''s size, as ftruncate(2): growing adds a hole, shrinking frees blocks')
            [CompletionResult]::new('msync', 'msync', [CompletionResultType]::ParameterValue, 'Make a file''s dirty mapped pages durable and commit, as msync(2)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a workload file (one operation a line) within one mount')
            [CompletionResult]::new('crash', 'crash', [CompletionResultType]::ParameterValue, 'Explore every crash state of a workload: replay, fsck and the data oracle on each')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'One write fault under each policy and known bug, every crash state explored: a table')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write man pages or shell completions (for packagers and the repository)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e4dax;mkfs' {
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Image size: bytes, or with a K, M, G or T suffix (at least 16M)')
            [CompletionResult]::new('--journal-size', '--journal-size', [CompletionResultType]::ParameterName, 'Journal size (default: as mkfs.ext4 picks for the image size)')
            [CompletionResult]::new('--inodes', '--inodes', [CompletionResultType]::ParameterName, 'Number of inodes (default: one per 16 KiB)')
            [CompletionResult]::new('--uuid', '--uuid', [CompletionResultType]::ParameterName, 'File system UUID (default: random)')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Volume label (at most 16 bytes)')
            [CompletionResult]::new('--block-size', '--block-size', [CompletionResultType]::ParameterName, 'Block size; only 4096 is accepted (DAX needs block size = page size)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--poison', '--poison', [CompletionResultType]::ParameterName, 'Fill every free block with the stale-data pattern (see README)')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Make a file system without a journal (for the ext2 policy)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing non-empty file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;create' {
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Give the new file this size (a hole; accepts K, M, G, T suffixes)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Create a directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Create missing parent directories too')
            [CompletionResult]::new('--parents', '--parents', [CompletionResultType]::ParameterName, 'Create missing parent directories too')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;fallocate' {
            [CompletionResult]::new('--offset', '--offset', [CompletionResultType]::ParameterName, 'Byte offset (accepts K, M, G, T suffixes)')
            [CompletionResult]::new('--len', '--len', [CompletionResultType]::ParameterName, 'Length in bytes (accepts K, M, G, T suffixes)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck')
            [CompletionResult]::new('--keep-size', '--keep-size', [CompletionResultType]::ParameterName, 'Do not change the file size (unwritten extents may lie past it)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;punch' {
            [CompletionResult]::new('--offset', '--offset', [CompletionResultType]::ParameterName, 'Byte offset (accepts K, M, G, T suffixes)')
            [CompletionResult]::new('--len', '--len', [CompletionResultType]::ParameterName, 'Length in bytes (accepts K, M, G, T suffixes)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;rm' {
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;ls' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Long listing, as debugfs ls -l: inode, mode, uid, gid, size, modification time, name')
            [CompletionResult]::new('--long', '--long', [CompletionResultType]::ParameterName, 'Long listing, as debugfs ls -l: inode, mode, uid, gid, size, modification time, name')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;read' {
            [CompletionResult]::new('--offset', '--offset', [CompletionResultType]::ParameterName, 'Byte offset to start at')
            [CompletionResult]::new('--len', '--len', [CompletionResultType]::ParameterName, 'Bytes to read (default: to the end of the file)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the bytes to FILE instead of standard output (a regular FILE is written sparse: holes and unwritten extents stay holes)')
            [CompletionResult]::new('--hexdump', '--hexdump', [CompletionResultType]::ParameterName, 'Print a hex dump instead of raw bytes')
            [CompletionResult]::new('--check-stale', '--check-stale', [CompletionResultType]::ParameterName, 'Report every block of a written extent that holds the stale-data pattern (past i_size too, unless --len limits the range: a truncate up would expose it); exit 1 if any')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;journal-replay' {
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Report what would be replayed without writing anything')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;fsck' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Use the superblock at block SUPERBLOCK (a backup: 32768 with 4 KiB blocks, 8193 with 1 KiB), as e2fsck -b; it replaces the primary when the check writes')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Progress: 0 draws a bar on the terminal, another FD gets e2fsck''s "pass done total device" lines')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Threads: with more than one, pass 1 reads inodes ahead and the data pass scans blocks on N threads (default 1: on two cores reading ahead costs pass 1 more than it saves; --data scans faster); the output is the same for any number')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Check only: open read-only and change nothing (the default without a terminal)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Fix only what is safe without asking; exit 4 when anything else is found (-a: the same)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Fix only what is safe without asking; exit 4 when anything else is found (-a: the same)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Fix everything that can be fixed')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Check even a file system marked clean (without it a clean one is not checked, as e2fsck); these flags may be repeated, as e2fsck''s')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print statistics at the end, as e2fsck -v')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Also run the data pass: report every block of a written extent that holds the stale-data pattern (past i_size too), as read --check-stale does (checks a clean file system too)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('super', 'super', [CompletionResultType]::ParameterValue, 'The superblock and journal superblock, every field dumpe2fs -h prints, in its words')
            [CompletionResult]::new('groups', 'groups', [CompletionResultType]::ParameterValue, 'Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)')
            [CompletionResult]::new('extents', 'extents', [CompletionResultType]::ParameterValue, 'A file''s extent tree level by level (like debugfs ex), with node checksum verdicts')
            [CompletionResult]::new('journal', 'journal', [CompletionResultType]::ParameterValue, 'The journal''s log block by block (like debugfs logdump -a), with checksum verdicts')
            [CompletionResult]::new('inode', 'inode', [CompletionResultType]::ParameterValue, 'One inode''s fields (like debugfs stat): times with nanoseconds, project id, extended attributes, extents')
            [CompletionResult]::new('icheck', 'icheck', [CompletionResultType]::ParameterValue, 'Which inode owns each block (like debugfs icheck)')
            [CompletionResult]::new('ncheck', 'ncheck', [CompletionResultType]::ParameterValue, 'The path names of inodes (like debugfs ncheck)')
            [CompletionResult]::new('bmap', 'bmap', [CompletionResultType]::ParameterValue, 'The physical block of a file''s logical block (like debugfs bmap); 0 for a hole')
            [CompletionResult]::new('blocks', 'blocks', [CompletionResultType]::ParameterValue, 'A file''s blocks in block-iterate order, indirect and extent tree blocks included (like debugfs blocks)')
            [CompletionResult]::new('testb', 'testb', [CompletionResultType]::ParameterValue, 'Whether blocks are marked in use in the block bitmap (like debugfs testb)')
            [CompletionResult]::new('testi', 'testi', [CompletionResultType]::ParameterValue, 'Whether an inode is marked in use in the inode bitmap (like debugfs testi)')
            [CompletionResult]::new('map', 'map', [CompletionResultType]::ParameterValue, 'What holds each block: counts by owner, or a picture with --svg')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e4dax;inspect;super' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;groups' {
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'Every group as dumpe2fs prints it: superblock and descriptor copies, bitmaps with their checksums, inode table, free block and inode ranges')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;extents' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;journal' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;inode' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;icheck' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;ncheck' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;bmap' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;blocks' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;testb' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;testi' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;map' {
            [CompletionResult]::new('--svg', '--svg', [CompletionResultType]::ParameterName, 'Draw the block groups as rows of blocks coloured by owner, with a legend')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Outline the blocks of this file (a path or <INO>)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;help' {
            [CompletionResult]::new('super', 'super', [CompletionResultType]::ParameterValue, 'The superblock and journal superblock, every field dumpe2fs -h prints, in its words')
            [CompletionResult]::new('groups', 'groups', [CompletionResultType]::ParameterValue, 'Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)')
            [CompletionResult]::new('extents', 'extents', [CompletionResultType]::ParameterValue, 'A file''s extent tree level by level (like debugfs ex), with node checksum verdicts')
            [CompletionResult]::new('journal', 'journal', [CompletionResultType]::ParameterValue, 'The journal''s log block by block (like debugfs logdump -a), with checksum verdicts')
            [CompletionResult]::new('inode', 'inode', [CompletionResultType]::ParameterValue, 'One inode''s fields (like debugfs stat): times with nanoseconds, project id, extended attributes, extents')
            [CompletionResult]::new('icheck', 'icheck', [CompletionResultType]::ParameterValue, 'Which inode owns each block (like debugfs icheck)')
            [CompletionResult]::new('ncheck', 'ncheck', [CompletionResultType]::ParameterValue, 'The path names of inodes (like debugfs ncheck)')
            [CompletionResult]::new('bmap', 'bmap', [CompletionResultType]::ParameterValue, 'The physical block of a file''s logical block (like debugfs bmap); 0 for a hole')
            [CompletionResult]::new('blocks', 'blocks', [CompletionResultType]::ParameterValue, 'A file''s blocks in block-iterate order, indirect and extent tree blocks included (like debugfs blocks)')
            [CompletionResult]::new('testb', 'testb', [CompletionResultType]::ParameterValue, 'Whether blocks are marked in use in the block bitmap (like debugfs testb)')
            [CompletionResult]::new('testi', 'testi', [CompletionResultType]::ParameterValue, 'Whether an inode is marked in use in the inode bitmap (like debugfs testi)')
            [CompletionResult]::new('map', 'map', [CompletionResultType]::ParameterValue, 'What holds each block: counts by owner, or a picture with --svg')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e4dax;inspect;help;super' {
            break
        }
        'e4dax;inspect;help;groups' {
            break
        }
        'e4dax;inspect;help;extents' {
            break
        }
        'e4dax;inspect;help;journal' {
            break
        }
        'e4dax;inspect;help;inode' {
            break
        }
        'e4dax;inspect;help;icheck' {
            break
        }
        'e4dax;inspect;help;ncheck' {
            break
        }
        'e4dax;inspect;help;bmap' {
            break
        }
        'e4dax;inspect;help;blocks' {
            break
        }
        'e4dax;inspect;help;testb' {
            break
        }
        'e4dax;inspect;help;testi' {
            break
        }
        'e4dax;inspect;help;map' {
            break
        }
        'e4dax;inspect;help;help' {
            break
        }
        'e4dax;fault' {
            [CompletionResult]::new('--offset', '--offset', [CompletionResultType]::ParameterName, 'Byte offset of the faulting access')
            [CompletionResult]::new('--len', '--len', [CompletionResultType]::ParameterName, 'Bytes to fault (page by page; default: the data''s length, or one byte)')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Bytes in hex (e.g. 00ff10)')
            [CompletionResult]::new('--pattern', '--pattern', [CompletionResultType]::ParameterName, 'A text, repeated over --len when given')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The contents of FILE')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Fault-path policy')
            [CompletionResult]::new('--inject', '--inject', [CompletionResultType]::ParameterName, 'Turn the policy into a known bug (repeatable)')
            [CompletionResult]::new('--stop-after', '--stop-after', [CompletionResultType]::ParameterName, 'Run up to and including STEP, print the in-flight state, then end like a power cut (the image keeps only what was durable)')
            [CompletionResult]::new('--race-read-after', '--race-read-after', [CompletionResultType]::ParameterName, 'Let a second reader read the page right after STEP of the writer, and report what it saw')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--read', '--read', [CompletionResultType]::ParameterName, 'A read fault')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'A write fault (the process stores the data given, if any)')
            [CompletionResult]::new('--private', '--private', [CompletionResultType]::ParameterName, 'A private mapping: a write copies the page (nothing allocated, the image unchanged)')
            [CompletionResult]::new('--keep-pending', '--keep-pending', [CompletionResultType]::ParameterName, 'With --stop-after: keep every store issued so far (the optimistic crash state)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Print one row per step: context, locks, blocks, extent state, transaction, stores')
            [CompletionResult]::new('--msync', '--msync', [CompletionResultType]::ParameterName, 'msync the range after the fault (the process''s own fence, then a commit)')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'e4dax;write' {
            [CompletionResult]::new('--offset', '--offset', [CompletionResultType]::ParameterName, 'Byte offset')
            [CompletionResult]::new('--len', '--len', [CompletionResultType]::ParameterName, 'Bytes to write (with --pattern: the pattern repeated over LEN)')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Bytes in hex (e.g. 00ff10)')
            [CompletionResult]::new('--pattern', '--pattern', [CompletionResultType]::ParameterName, 'A text, repeated over --len when given')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The contents of FILE')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Fault-path policy')
            [CompletionResult]::new('--inject', '--inject', [CompletionResultType]::ParameterName, 'Turn the policy into a known bug (repeatable)')
            [CompletionResult]::new('--stop-after', '--stop-after', [CompletionResultType]::ParameterName, 'Run up to and including STEP, print the in-flight state, then end like a power cut (the image keeps only what was durable)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--keep-pending', '--keep-pending', [CompletionResultType]::ParameterName, 'With --stop-after: keep every store issued so far (the optimistic crash state)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Print one row per step: context, locks, blocks, extent state, transaction, stores')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'e4dax;truncate' {
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'New size (accepts K, M, G, T suffixes)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;msync' {
            [CompletionResult]::new('--offset', '--offset', [CompletionResultType]::ParameterName, 'Start of the range (with --len)')
            [CompletionResult]::new('--len', '--len', [CompletionResultType]::ParameterName, 'Length of the range (with --offset)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;run' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Fault-path policy')
            [CompletionResult]::new('--inject', '--inject', [CompletionResultType]::ParameterName, 'Turn the policy into a known bug (repeatable)')
            [CompletionResult]::new('--stop-after', '--stop-after', [CompletionResultType]::ParameterName, 'Run up to and including STEP, print the in-flight state, then end like a power cut (the image keeps only what was durable)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--keep-pending', '--keep-pending', [CompletionResultType]::ParameterName, 'With --stop-after: keep every store issued so far (the optimistic crash state)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Print one row per step: context, locks, blocks, extent state, transaction, stores')
            [CompletionResult]::new('--no-checkpoint', '--no-checkpoint', [CompletionResultType]::ParameterName, 'Leave committed transactions in the journal (no checkpoint), for `inspect journal`, `journal-replay` or e2fsck')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'e4dax;crash' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Fault-path policy')
            [CompletionResult]::new('--inject', '--inject', [CompletionResultType]::ParameterName, 'Turn the policy into a known bug (repeatable)')
            [CompletionResult]::new('--at-step', '--at-step', [CompletionResultType]::ParameterName, 'Only crash points inside STEP (a fault-path step, or commit, checkpoint, writeback, msync)')
            [CompletionResult]::new('--granularity', '--granularity', [CompletionResultType]::ParameterName, 'What persists as a whole: cache lines, or 8-byte words (torn stores)')
            [CompletionResult]::new('--max-states', '--max-states', [CompletionResultType]::ParameterName, 'Per crash point: every state when there are at most N, else a seeded sample of N')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the samples')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Write one reproducer per distinct violation (class and step): crash image and state.json')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Explore the K-th of N disjoint parts of the crash points (K from 1)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Worker threads (default: every core)')
            [CompletionResult]::new('--svg', '--svg', [CompletionResultType]::ParameterName, 'Draw the trace as a timeline (one band per context, points coloured by outcome)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--reduce', '--reduce', [CompletionResultType]::ParameterName, 'Check the jbd2 ordering invariants, then explore only the stores they do not protect')
            [CompletionResult]::new('--minimize', '--minimize', [CompletionResultType]::ParameterName, 'Shrink each saved reproducer''s persisted lines to a minimal set that still fails')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Rebuild a saved crash state''s image bit for bit from its state.json')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Merge the JSON reports of --shard runs into the unsharded totals')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e4dax;crash;replay' {
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'The base image (default: the path recorded in state.json)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;crash;merge' {
            [CompletionResult]::new('--svg', '--svg', [CompletionResultType]::ParameterName, 'Draw the merged timeline')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;crash;help' {
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Rebuild a saved crash state''s image bit for bit from its state.json')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Merge the JSON reports of --shard runs into the unsharded totals')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e4dax;crash;help;replay' {
            break
        }
        'e4dax;crash;help;merge' {
            break
        }
        'e4dax;crash;help;help' {
            break
        }
        'e4dax;demo' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Keep the image, reproducers and pictures here (default: a new temporary directory)')
            [CompletionResult]::new('--max-states', '--max-states', [CompletionResultType]::ParameterName, 'Per crash point: every state when there are at most N, else a seeded sample of N')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Use this time (seconds since the epoch) for every timestamp written (default: $E4DAX_TIME, else now)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;generate' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'e4dax;help' {
            [CompletionResult]::new('mkfs', 'mkfs', [CompletionResultType]::ParameterValue, 'Create an ext4 file system image (block size 4096, as DAX needs)')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a file or directory')
            [CompletionResult]::new('fallocate', 'fallocate', [CompletionResultType]::ParameterValue, 'Allocate unwritten extents over a range, as fallocate(2)')
            [CompletionResult]::new('punch', 'punch', [CompletionResultType]::ParameterValue, 'Punch a hole: free the blocks of a range (size unchanged)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a file or an empty directory')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List a directory (names and inode numbers)')
            [CompletionResult]::new('read', 'read', [CompletionResultType]::ParameterValue, 'Read a file: holes and unwritten extents read as zeros')
            [CompletionResult]::new('journal-replay', 'journal-replay', [CompletionResultType]::ParameterValue, 'Replay the journal as mount or e2fsck would, and report what it held')
            [CompletionResult]::new('fsck', 'fsck', [CompletionResultType]::ParameterValue, 'Check (and repair) a file system, as e2fsck does, with e2fsck''s exit codes')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show on-disk structures, as dumpe2fs and debugfs do; never writes')
            [CompletionResult]::new('fault', 'fault', [CompletionResultType]::ParameterValue, 'Run the DAX page fault on a file, step by step (read or write, shared or private)')
            [CompletionResult]::new('write', 'write', [CompletionResultType]::ParameterValue, 'Write data into a file through the DAX write(2) path')
            [CompletionResult]::new('truncate', 'truncate', [CompletionResultType]::ParameterValue, 'Set a file''s size, as ftruncate(2): growing adds a hole, shrinking frees blocks')
            [CompletionResult]::new('msync', 'msync', [CompletionResultType]::ParameterValue, 'Make a file''s dirty mapped pages durable and commit, as msync(2)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a workload file (one operation a line) within one mount')
            [CompletionResult]::new('crash', 'crash', [CompletionResultType]::ParameterValue, 'Explore every crash state of a workload: replay, fsck and the data oracle on each')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'One write fault under each policy and known bug, every crash state explored: a table')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write man pages or shell completions (for packagers and the repository)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e4dax;help;mkfs' {
            break
        }
        'e4dax;help;create' {
            break
        }
        'e4dax;help;fallocate' {
            break
        }
        'e4dax;help;punch' {
            break
        }
        'e4dax;help;rm' {
            break
        }
        'e4dax;help;ls' {
            break
        }
        'e4dax;help;read' {
            break
        }
        'e4dax;help;journal-replay' {
            break
        }
        'e4dax;help;fsck' {
            break
        }
        'e4dax;help;inspect' {
            [CompletionResult]::new('super', 'super', [CompletionResultType]::ParameterValue, 'The superblock and journal superblock, every field dumpe2fs -h prints, in its words')
            [CompletionResult]::new('groups', 'groups', [CompletionResultType]::ParameterValue, 'Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)')
            [CompletionResult]::new('extents', 'extents', [CompletionResultType]::ParameterValue, 'A file''s extent tree level by level (like debugfs ex), with node checksum verdicts')
            [CompletionResult]::new('journal', 'journal', [CompletionResultType]::ParameterValue, 'The journal''s log block by block (like debugfs logdump -a), with checksum verdicts')
            [CompletionResult]::new('inode', 'inode', [CompletionResultType]::ParameterValue, 'One inode''s fields (like debugfs stat): times with nanoseconds, project id, extended attributes, extents')
            [CompletionResult]::new('icheck', 'icheck', [CompletionResultType]::ParameterValue, 'Which inode owns each block (like debugfs icheck)')
            [CompletionResult]::new('ncheck', 'ncheck', [CompletionResultType]::ParameterValue, 'The path names of inodes (like debugfs ncheck)')
            [CompletionResult]::new('bmap', 'bmap', [CompletionResultType]::ParameterValue, 'The physical block of a file''s logical block (like debugfs bmap); 0 for a hole')
            [CompletionResult]::new('blocks', 'blocks', [CompletionResultType]::ParameterValue, 'A file''s blocks in block-iterate order, indirect and extent tree blocks included (like debugfs blocks)')
            [CompletionResult]::new('testb', 'testb', [CompletionResultType]::ParameterValue, 'Whether blocks are marked in use in the block bitmap (like debugfs testb)')
            [CompletionResult]::new('testi', 'testi', [CompletionResultType]::ParameterValue, 'Whether an inode is marked in use in the inode bitmap (like debugfs testi)')
            [CompletionResult]::new('map', 'map', [CompletionResultType]::ParameterValue, 'What holds each block: counts by owner, or a picture with --svg')
            break
        }
        'e4dax;help;inspect;super' {
            break
        }
        'e4dax;help;inspect;groups' {
            break
        }
        'e4dax;help;inspect;extents' {
            break
        }
        'e4dax;help;inspect;journal' {
            break
        }
        'e4dax;help;inspect;inode' {
            break
        }
        'e4dax;help;inspect;icheck' {
            break
        }
        'e4dax;help;inspect;ncheck' {
            break
        }
        'e4dax;help;inspect;bmap' {
            break
        }
        'e4dax;help;inspect;blocks' {
            break
        }
        'e4dax;help;inspect;testb' {
            break
        }
        'e4dax;help;inspect;testi' {
            break
        }
        'e4dax;help;inspect;map' {
            break
        }
        'e4dax;help;fault' {
            break
        }
        'e4dax;help;write' {
            break
        }
        'e4dax;help;truncate' {
            break
        }
        'e4dax;help;msync' {
            break
        }
        'e4dax;help;run' {
            break
        }
        'e4dax;help;crash' {
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Rebuild a saved crash state''s image bit for bit from its state.json')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Merge the JSON reports of --shard runs into the unsharded totals')
            break
        }
        'e4dax;help;crash;replay' {
            break
        }
        'e4dax;help;crash;merge' {
            break
        }
        'e4dax;help;demo' {
            break
        }
        'e4dax;help;generate' {
            break
        }
        'e4dax;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
