//! Client → server streaming messages (misskey.md §2) and their never-panicking parser.
//!
//! Every frame is `{"type": string, "body": ...}`. Known types are validated exactly as
//! Misskey 2026.5.1 does (malformed ones → [`ParseError`], which the server drops silently);
//! unknown types become [`ClientMessage::Unknown`].

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Why a client frame was rejected (Misskey drops all of these silently).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The frame is not valid JSON.
    #[error("frame is not valid JSON: {0}")]
    InvalidJson(String),
    /// The JSON is not an object.
    #[error("frame is not a JSON object")]
    NotAnObject,
    /// `type` is missing or not a string.
    #[error("frame has no string `type`")]
    MissingType,
    /// A known message type with a malformed body.
    #[error("malformed `{kind}` body: {reason}")]
    InvalidBody {
        /// The message type.
        kind: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// `connect` body: open a channel connection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectBody {
    /// Channel name (`main`, `homeTimeline`, ...).
    pub channel: String,
    /// Client-chosen connection id, scoped to the socket.
    pub id: String,
    /// Channel parameters; `None` = key absent (never send `null`).
    pub params: Option<Map<String, Value>>,
    /// Whether the client wants a `connected` reply; `None` = key absent.
    pub pong: Option<bool>,
}

/// `channel`/`ch` body: a message to one channel connection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChannelMessageBody {
    /// Connection id.
    pub id: String,
    /// Message type for the channel (e.g. `read`).
    pub kind: String,
    /// Payload (`null` allowed; an absent body is rejected).
    pub body: Value,
}

/// A client → server streaming message.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// `connect`.
    Connect(ConnectBody),
    /// `disconnect {id}`.
    Disconnect {
        /// Connection id.
        id: String,
    },
    /// `channel` or its alias `ch`.
    Channel(ChannelMessageBody),
    /// `subNote` or alias `s`: capture a note.
    SubNote {
        /// Note id.
        id: String,
    },
    /// `sr`: capture a note (identical to `subNote` since 2025.4.0).
    SubNoteRead {
        /// Note id.
        id: String,
    },
    /// `unsubNote` or alias `un`: release a captured note.
    UnsubNote {
        /// Note id.
        id: String,
    },
    /// `readNotification`: mark all notifications read (body ignored).
    ReadNotification,
    /// Any other `type`, kept verbatim (the server ignores it).
    Unknown {
        /// The `type` string.
        kind: String,
        /// The `body`, if present.
        body: Option<Value>,
    },
}

/// Parses one text frame. Never panics; see [`ParseError`] for the rejected cases.
pub fn parse_client_message(text: &str) -> Result<ClientMessage, ParseError> {
    let value: Value =
        serde_json::from_str(text).map_err(|err| ParseError::InvalidJson(err.to_string()))?;
    ClientMessage::from_value(value)
}

fn invalid(kind: &str, reason: &'static str) -> ParseError {
    ParseError::InvalidBody {
        kind: kind.to_owned(),
        reason,
    }
}

fn body_object<'a>(
    kind: &str,
    body: Option<&'a Value>,
) -> Result<&'a Map<String, Value>, ParseError> {
    body.and_then(Value::as_object)
        .ok_or_else(|| invalid(kind, "body is not an object"))
}

fn string_field(kind: &str, body: &Map<String, Value>, key: &str) -> Result<String, ParseError> {
    match body.get(key) {
        Some(Value::String(text)) => Ok(text.clone()),
        _ => Err(invalid(kind, "missing or non-string field")),
    }
}

fn note_id(kind: &str, body: Option<&Value>) -> Result<String, ParseError> {
    let id = string_field(kind, body_object(kind, body)?, "id")?;
    if id.is_empty() {
        return Err(invalid(kind, "empty note id"));
    }
    Ok(id)
}

impl ClientMessage {
    /// The canonical wire `type` of this message.
    pub fn type_name(&self) -> &str {
        match self {
            ClientMessage::Connect(_) => "connect",
            ClientMessage::Disconnect { .. } => "disconnect",
            ClientMessage::Channel(_) => "ch",
            ClientMessage::SubNote { .. } => "subNote",
            ClientMessage::SubNoteRead { .. } => "sr",
            ClientMessage::UnsubNote { .. } => "unsubNote",
            ClientMessage::ReadNotification => "readNotification",
            ClientMessage::Unknown { kind, .. } => kind,
        }
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
        let body = frame.remove("body");
        let body_ref = body.as_ref();
        let message = match kind.as_str() {
            "connect" => {
                let fields = body_object(&kind, body_ref)?;
                let params = match fields.get("params") {
                    None => None,
                    Some(Value::Object(params)) => Some(params.clone()),
                    Some(_) => return Err(invalid(&kind, "params is not an object")),
                };
                let pong = match fields.get("pong") {
                    None | Some(Value::Null) => None,
                    Some(Value::Bool(pong)) => Some(*pong),
                    Some(_) => return Err(invalid(&kind, "pong is not a boolean")),
                };
                ClientMessage::Connect(ConnectBody {
                    channel: string_field(&kind, fields, "channel")?,
                    id: string_field(&kind, fields, "id")?,
                    params,
                    pong,
                })
            }
            "disconnect" => ClientMessage::Disconnect {
                id: string_field(&kind, body_object(&kind, body_ref)?, "id")?,
            },
            "channel" | "ch" => {
                let fields = body_object(&kind, body_ref)?;
                let inner = fields
                    .get("body")
                    .cloned()
                    .ok_or_else(|| invalid(&kind, "missing body"))?;
                ClientMessage::Channel(ChannelMessageBody {
                    id: string_field(&kind, fields, "id")?,
                    kind: string_field(&kind, fields, "type")?,
                    body: inner,
                })
            }
            "subNote" | "s" => ClientMessage::SubNote {
                id: note_id(&kind, body_ref)?,
            },
            "sr" => ClientMessage::SubNoteRead {
                id: note_id(&kind, body_ref)?,
            },
            "unsubNote" | "un" => ClientMessage::UnsubNote {
                id: note_id(&kind, body_ref)?,
            },
            "readNotification" => ClientMessage::ReadNotification,
            _ => ClientMessage::Unknown { kind, body },
        };
        Ok(message)
    }

    /// The JSON frame for this message (canonical type names; `ch` for channel messages,
    /// as misskey-js sends).
    pub fn to_value(&self) -> Value {
        let id_body = |id: &str| serde_json::json!({ "id": id });
        let body = match self {
            ClientMessage::Connect(connect) => {
                let mut fields = Map::new();
                fields.insert("channel".into(), Value::String(connect.channel.clone()));
                fields.insert("id".into(), Value::String(connect.id.clone()));
                if let Some(params) = &connect.params {
                    fields.insert("params".into(), Value::Object(params.clone()));
                }
                if let Some(pong) = connect.pong {
                    fields.insert("pong".into(), Value::Bool(pong));
                }
                Some(Value::Object(fields))
            }
            ClientMessage::Disconnect { id }
            | ClientMessage::SubNote { id }
            | ClientMessage::SubNoteRead { id }
            | ClientMessage::UnsubNote { id } => Some(id_body(id)),
            ClientMessage::Channel(message) => Some(serde_json::json!({
                "id": message.id,
                "type": message.kind,
                "body": message.body,
            })),
            ClientMessage::ReadNotification => Some(Value::Object(Map::new())),
            ClientMessage::Unknown { body, .. } => body.clone(),
        };
        let mut frame = Map::new();
        frame.insert("type".into(), Value::String(self.type_name().to_owned()));
        if let Some(body) = body {
            frame.insert("body".into(), body);
        }
        Value::Object(frame)
    }

    /// The frame as compact JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}

impl Serialize for ClientMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ClientMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        ClientMessage::from_value(value).map_err(D::Error::custom)
    }
}
