
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
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('mkfs', 'mkfs', [CompletionResultType]::ParameterValue, 'Create an ext4 file system image (block size 4096, as DAX needs)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show on-disk structures, as dumpe2fs does; never writes')
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
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Creation time in seconds since the epoch (default: now); with --uuid, output is reproducible')
            [CompletionResult]::new('--block-size', '--block-size', [CompletionResultType]::ParameterName, 'Block size; only 4096 is accepted (DAX needs block size = page size)')
            [CompletionResult]::new('--poison', '--poison', [CompletionResultType]::ParameterName, 'Fill every free block with the stale-data pattern (see README)')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Make a file system without a journal (for the ext2 policy)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing non-empty file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('super', 'super', [CompletionResultType]::ParameterValue, 'The superblock and journal superblock (like dumpe2fs -h)')
            [CompletionResult]::new('groups', 'groups', [CompletionResultType]::ParameterValue, 'Every block group: flags, bitmaps, inode table, free counts, checksums')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e4dax;inspect;super' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;groups' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'e4dax;inspect;help' {
            [CompletionResult]::new('super', 'super', [CompletionResultType]::ParameterValue, 'The superblock and journal superblock (like dumpe2fs -h)')
            [CompletionResult]::new('groups', 'groups', [CompletionResultType]::ParameterValue, 'Every block group: flags, bitmaps, inode table, free counts, checksums')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e4dax;inspect;help;super' {
            break
        }
        'e4dax;inspect;help;groups' {
            break
        }
        'e4dax;inspect;help;help' {
            break
        }
        'e4dax;generate' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'e4dax;help' {
            [CompletionResult]::new('mkfs', 'mkfs', [CompletionResultType]::ParameterValue, 'Create an ext4 file system image (block size 4096, as DAX needs)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show on-disk structures, as dumpe2fs does; never writes')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write man pages or shell completions (for packagers and the repository)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'e4dax;help;mkfs' {
            break
        }
        'e4dax;help;inspect' {
            [CompletionResult]::new('super', 'super', [CompletionResultType]::ParameterValue, 'The superblock and journal superblock (like dumpe2fs -h)')
            [CompletionResult]::new('groups', 'groups', [CompletionResultType]::ParameterValue, 'Every block group: flags, bitmaps, inode table, free counts, checksums')
            break
        }
        'e4dax;help;inspect;super' {
            break
        }
        'e4dax;help;inspect;groups' {
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
