import * as pulumi from "@pulumi/pulumi";
import * as ims from "pulumi-ims-record";

const config = new pulumi.Config();

// An HLS template: 10-second slices, a new playlist every cycleDuration seconds.
const hls = new ims.LiveRecordTemplate("hls", {
    name: "ts-quickstart-hls",
    recordFormats: [{
        format: "m3u8",
        ossObjectPrefix: "record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}",
        sliceOssObjectPrefix: "record/{JobId}/{UnixTimestamp}_{Sequence}",
        sliceDuration: 10,
        cycleDuration: config.getNumber("cycleDuration") ?? 21600,
    }],
});

// One job recording the stream into the bucket with that template.
const stage = new ims.LiveRecordJob("stage", {
    name: "ts-quickstart-stage",
    streamInput: { url: config.get("streamUrl") ?? "rtmp://127.0.0.1:1935/live/ts-quickstart" },
    recordOutput: { bucket: config.get("bucketName") ?? "ims-ts-quickstart-recordings" },
    templateId: hls.id,
});

export const templateId = hls.id;
export const jobId = stage.jobId;
export const status = stage.status;
