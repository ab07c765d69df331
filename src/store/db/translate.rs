//! SQL is written once, in the dialect both backends share, with SQLite's `?N` (or bare `?`) parameters;
//! PostgreSQL gets `$N`, translated once per statement (the connection caches the result).

/// `sql` with every `?N` and bare `?` outside quotes turned into `$N` (a bare `?` takes the number after the
/// largest one so far, as SQLite numbers it).
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut largest = 0u32;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(open), c) if c == open => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let number = digits.parse().unwrap_or(largest + 1);
                largest = largest.max(number);
                out.push('$');
                out.push_str(&number.to_string());
            }
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_postgres;

    #[test]
    fn numbered_parameters_keep_their_numbers_and_repeat() {
        assert_eq!(
            to_postgres("INSERT INTO t (a, b, c) VALUES (?1, ?10, ?1)"),
            "INSERT INTO t (a, b, c) VALUES ($1, $10, $1)"
        );
    }

    #[test]
    fn bare_marks_count_on_from_the_largest_number_as_sqlite_does() {
        assert_eq!(
            to_postgres("WHERE state IN (?, ?, ?)"),
            "WHERE state IN ($1, $2, $3)"
        );
        assert_eq!(
            to_postgres("WHERE a = ?3 AND b = ?"),
            "WHERE a = $3 AND b = $4"
        );
    }

    #[test]
    fn marks_inside_strings_and_quoted_names_stay() {
        assert_eq!(
            to_postgres("SELECT '?1 it''s ?' || ?1, \"odd?\" FROM t WHERE x = ?2"),
            "SELECT '?1 it''s ?' || $1, \"odd?\" FROM t WHERE x = $2"
        );
    }

    #[test]
    fn sql_without_parameters_is_unchanged() {
        let sql = "SELECT count(*) FROM audit WHERE action = 'prune'";
        assert_eq!(to_postgres(sql), sql);
    }
}
