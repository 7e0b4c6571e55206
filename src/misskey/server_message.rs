//! Server → client streaming messages (misskey.md §3): every frame is
//! `{"type": string, "body": object|null}`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::client_message::ParseError;

/// A server → client streaming message.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// `channel`: an event of one channel connection (`body` is `null` for payload-less events).
    Channel {
        /// The client's connection id.
        id: String,
        /// Event name (`note`, `notification`, `readAllNotifications`, ...).
        kind: String,
        /// Event payload.
        body: Value,
    },
    /// `noteUpdated`: an event of a captured note (see `NoteUpdatedEvent` for typed bodies).
    NoteUpdated {
        /// Note id.
        id: String,
        /// `reacted`, `unreacted`, `deleted`, `pollVoted` (or `updated` on forks).
        kind: String,
        /// Event payload.
        body: Value,
    },
    /// `connected`: acknowledgement of a `connect` sent with `pong: true`.
    Connected {
        /// The connection id.
        id: String,
    },
    /// Any other top-level type, e.g. the broadcasts `emojiAdded`, `emojiUpdated`,
    /// `emojiDeleted`, `announcementCreated`.
    Broadcast {
        /// The top-level `type`.
        kind: String,
        /// The `body` (`null` if absent).
        body: Value,
    },
}

fn frame_error(reason: &'static str) -> ParseError {
    ParseError::InvalidBody {
        kind: "server message".to_owned(),
        reason,
    }
}

fn take_string(body: &mut Map<String, Value>, key: &str) -> Result<String, ParseError> {
    match body.remove(key) {
        Some(Value::String(text)) => Ok(text),
        _ => Err(frame_error("missing or non-string field")),
    }
}

impl ServerMessage {
    /// Builds a `channel` event with a serializable payload.
    pub fn channel_event<T: Serialize>(
        id: impl Into<String>,
        kind: impl Into<String>,
        payload: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(ServerMessage::Channel {
            id: id.into(),
            kind: kind.into(),
            body: serde_json::to_value(payload)?,
        })
    }

    /// The wire `type` of this message.
    pub fn type_name(&self) -> &str {
        match self {
            ServerMessage::Channel { .. } => "channel",
            ServerMessage::NoteUpdated { .. } => "noteUpdated",
            ServerMessage::Connected { .. } => "connected",
            ServerMessage::Broadcast { kind, .. } => kind,
        }
    }

    /// Parses one text frame (never panics).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let value: Value =
            serde_json::from_str(text).map_err(|err| ParseError::InvalidJson(err.to_string()))?;
        Self::from_value(value)
    }

    /// Validates a parsed JSON frame.
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let Value::Object(mut frame) = value else {
            return Err(ParseError::NotAnObject);
        };
        let kind = match frame.remove("type") {
            Some(Value::String(kind)) => kind,
            _ => return Err(ParseError::MissingType),
        };
        let body = frame.remove("body").unwrap_or(Value::Null);
        match kind.as_str() {
            "channel" | "noteUpdated" => {
                let Value::Object(mut fields) = body else {
                    return Err(frame_error("body is not an object"));
                };
                let id = take_string(&mut fields, "id")?;
                let inner_kind = take_string(&mut fields, "type")?;
                let inner = fields.remove("body").unwrap_or(Value::Null);
                Ok(if kind == "channel" {
                    ServerMessage::Channel {
                        id,
                        kind: inner_kind,
                        body: inner,
                    }
                } else {
                    ServerMessage::NoteUpdated {
                        id,
                        kind: inner_kind,
                        body: inner,
                    }
                })
            }
            "connected" => {
                let Value::Object(mut fields) = body else {
                    return Err(frame_error("body is not an object"));
                };
                Ok(ServerMessage::Connected {
                    id: take_string(&mut fields, "id")?,
                })
            }
            _ => Ok(ServerMessage::Broadcast { kind, body }),
        }
    }

    /// The JSON frame for this message.
    pub fn to_value(&self) -> Value {
        let body = match self {
            ServerMessage::Channel { id, kind, body }
            | ServerMessage::NoteUpdated { id, kind, body } => {
                serde_json::json!({ "id": id, "type": kind, "body": body })
            }
            ServerMessage::Connected { id } => serde_json::json!({ "id": id }),
            ServerMessage::Broadcast { body, .. } => body.clone(),
        };
        serde_json::json!({ "type": self.type_name(), "body": body })
    }

    /// The frame as compact JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}

impl Serialize for ServerMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ServerMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        ServerMessage::from_value(value).map_err(D::Error::custom)
    }
}
