//! A search as the user words it (`eventdeck find`'s flags, the console's
//! `:find …`) turned into what the reader runs.

use clap::Parser;

use crate::cli::{FindArgs, PaletteFindArgs};
use crate::domain::TopicMap;
use crate::kafka::find::{Bound, FindRequest, KeyScope};

use super::query::Query;

/// The request `args` stand for; topics default to every context's.
pub fn request(args: &FindArgs, topics: &TopicMap) -> Result<FindRequest, String> {
    let names: Vec<String> = if args.topics.is_empty() {
        topics.topics().map(str::to_string).collect()
    } else {
        args.topics.iter().map(|t| topics.resolve(t)).collect()
    };
    let bound = |flag: &str, v: &Option<String>| -> Result<Bound, String> {
        v.as_deref().map_or(Ok(Bound::Open), |s| {
            s.parse().map_err(|e| format!("{flag}: {e}"))
        })
    };
    if args.limit == 0 {
        return Err("--limit: at least 1".into());
    }
    Ok(FindRequest {
        topics: names,
        query: Query::new(args.key.as_deref(), &args.wheres, args.text.as_deref())?,
        from: bound("--from", &args.from)?,
        to: bound("--to", &args.to)?,
        partitions: args.partitions.clone(),
        limit: args.limit,
        key_scope: if args.all_partitions {
            KeyScope::AllPartitions
        } else if args.exhaustive {
            KeyScope::Exhaustive
        } else {
            KeyScope::KeyPartitions
        },
        readers: args.readers,
    })
}

/// The console's `:find` words (after `find`), as `eventdeck find` takes
/// them; quotes group words (`--text "order 42"`).
pub fn parse_palette(line: &str) -> Result<FindArgs, String> {
    let words = split_words(line)?;
    PaletteFindArgs::try_parse_from(words)
        .map(|a| a.find)
        .map_err(|e| {
            // clap's first line says what is wrong; the rest is usage.
            e.to_string()
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_string()
        })
}

/// Words split on spaces, with "double" or 'single' quotes keeping spaces.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("a quote is not closed".into());
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_words_parse_as_the_command_line() {
        let a = parse_palette(r#"debate --key order-42 --where "data.note=two words" -n 5"#)
            .expect("parses");
        assert_eq!(a.topics, ["debate"]);
        assert_eq!(a.key.as_deref(), Some("order-42"));
        assert_eq!(a.wheres, ["data.note=two words"]);
        assert_eq!(a.limit, 5);
        let r = request(&a, &TopicMap::default()).expect("request");
        assert_eq!(r.topics, ["debate.events"]);
        assert!(parse_palette("--bogus").is_err());
        assert!(parse_palette("--text 'open").is_err());
        <PaletteFindArgs as clap::CommandFactory>::command().debug_assert();
    }
}
