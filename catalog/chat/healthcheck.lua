#!/usr/bin/env lua5.4
-- The chat app's health check: opens a client stream to the server's domain on 5222 and
-- expects Prosody's stream header and its features with STARTTLS back, so it proves that the
-- server answers XMPP for this domain, not merely that a process runs. Exits 0 when healthy.
local socket = require "socket"

local domain = (os.getenv("DOMAIN") or ""):lower()
local deadline = socket.gettime() + 4

local function unhealthy(message)
	io.stderr:write("unhealthy: ", message, "\n")
	os.exit(1)
end

if not domain:match("^[a-z0-9.-]+$") then unhealthy("DOMAIN is not set or not a domain") end

local conn = socket.tcp()
conn:settimeout(4)
local ok, err = conn:connect("127.0.0.1", 5222)
if not ok then unhealthy("cannot connect to 127.0.0.1:5222: " .. tostring(err)) end

conn:send(("<?xml version='1.0'?><stream:stream to='%s' version='1.0' xml:lang='en'"
	.. " xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"):format(domain))

-- Read until the features are complete, the server closes the stream, or time runs out.
local received = ""
conn:settimeout(0.2)
while not received:find("</stream:features>", 1, true) and not received:find("</stream:stream>", 1, true) do
	if socket.gettime() > deadline then break end
	local data, status, partial = conn:receive(4096)
	received = received .. (data or partial or "")
	if status == "closed" then break end
end
conn:send("</stream:stream>")
conn:close()

if received:find("<stream:error", 1, true) then unhealthy("stream error: " .. received:sub(1, 300)) end
if not received:find("<stream:stream", 1, true) then unhealthy("no XMPP stream header in: " .. received:sub(1, 300)) end
if not received:find("from=['\"]" .. domain:gsub("%p", "%%%0") .. "['\"]") then
	unhealthy("the stream is not from " .. domain .. ": " .. received:sub(1, 300))
end
if not received:find("urn:ietf:params:xml:ns:xmpp-tls", 1, true) then
	unhealthy("no STARTTLS offered: " .. received:sub(1, 300))
end
print("ok: " .. domain .. " answers XMPP with STARTTLS on 5222")
