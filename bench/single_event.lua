-- wrk script: one SendGrid event per request, each with a fresh sg_event_id.
--   wrk -t2 -c16 -d10s --latency -s bench/single_event.lua http://127.0.0.1:8686/ingest/sendgrid
local counter = 0
thread_tag = "t"
local threads = 0

setup = function(thread)
    threads = threads + 1
    thread:set("thread_tag", os.time() .. "-" .. threads)
end
local now = os.time() - 3600
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
    counter = counter + 1
    local body = string.format(
        '[{"email":"user%d@gmail.com","timestamp":%d,"event":"delivered","category":"wrk",' ..
        '"sg_event_id":"%s-%d","sg_message_id":"m%d"}]',
        counter % 1000, now + counter % 60, thread_tag, counter, counter)
    return wrk.format(nil, nil, nil, body)
end
