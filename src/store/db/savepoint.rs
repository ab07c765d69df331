//! A caller's part of a write transaction: a savepoint inside a group's transaction (rolled back alone when the
//! caller fails), or the whole transaction when the caller has it to itself. On PostgreSQL the savepoint
//! statements go with the next call instead of taking a round trip each.

use super::{Db, DbResult};

const SAVEPOINT: &str = "SAVEPOINT remedy_atomic";
const RELEASE: &str = "RELEASE SAVEPOINT remedy_atomic";
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT remedy_atomic; RELEASE SAVEPOINT remedy_atomic";

/// Writes that stay only if [`Savepoint::commit`] is called.
pub struct Savepoint<'a> {
    db: &'a Db,
    /// A named savepoint; else the caller's writes are the whole transaction, which its owner rolls back.
    named: bool,
    released: bool,
}

impl Db {
    /// A savepoint inside the open transaction: released by [`Savepoint::commit`], rolled back when dropped.
    pub fn savepoint(&self) -> DbResult<Savepoint<'_>> {
        match self {
            Db::Sqlite(_) => self.execute_batch(SAVEPOINT)?,
            Db::Postgres(conn) => conn.borrow_mut().defer(SAVEPOINT),
        }
        Ok(Savepoint {
            db: self,
            named: true,
            released: false,
        })
    }

    /// The open transaction as one caller's part of it, when no other caller shares it: no savepoint, as the
    /// transaction's own rollback undoes everything the caller wrote.
    pub fn whole_transaction(&self) -> Savepoint<'_> {
        Savepoint {
            db: self,
            named: false,
            released: false,
        }
    }
}

impl Savepoint<'_> {
    pub fn commit(mut self) -> DbResult<()> {
        self.released = true;
        if !self.named {
            return Ok(());
        }
        match self.db {
            Db::Sqlite(_) => self.db.execute_batch(RELEASE),
            Db::Postgres(conn) => {
                conn.borrow_mut().defer(RELEASE);
                Ok(())
            }
        }
    }
}

impl std::ops::Deref for Savepoint<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if self.released || !self.named {
            return;
        }
        match self.db {
            Db::Sqlite(_) => {
                let _ = self.db.execute_batch(ROLLBACK_TO);
            }
            Db::Postgres(conn) => {
                let mut conn = conn.borrow_mut();
                // A savepoint never sent had nothing written under it.
                if !conn.take_back(SAVEPOINT) {
                    conn.defer(ROLLBACK_TO);
                }
            }
        }
    }
}
