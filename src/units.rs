//! Size parsing.
