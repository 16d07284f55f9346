// The quickstart in Go: an HLS template and one job recording one RTMP stream into a bucket.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/pulumi-ims-record/pulumi-ims-record/sdk/go/imsrecord"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		cycleDuration := cfg.GetInt("cycleDuration")
		if cycleDuration == 0 {
			cycleDuration = 21600
		}
		streamURL := cfg.Get("streamUrl")
		if streamURL == "" {
			streamURL = "rtmp://127.0.0.1:1935/live/go-quickstart"
		}
		bucketName := cfg.Get("bucketName")
		if bucketName == "" {
			bucketName = "ims-go-quickstart-recordings"
		}

		// An HLS template: 10-second slices, a new playlist every cycleDuration seconds.
		hls, err := imsrecord.NewLiveRecordTemplate(ctx, "hls", &imsrecord.LiveRecordTemplateArgs{
			Name: pulumi.String("go-quickstart-hls"),
			RecordFormats: imsrecord.RecordFormatArray{
				imsrecord.RecordFormatArgs{
					Format:               pulumi.String("m3u8"),
					OssObjectPrefix:      pulumi.String("record/{JobId}/{Sequence}_{EscapedStartTime}_{EscapedEndTime}"),
					SliceOssObjectPrefix: pulumi.String("record/{JobId}/{UnixTimestamp}_{Sequence}"),
					SliceDuration:        pulumi.Int(10),
					CycleDuration:        pulumi.Int(cycleDuration),
				},
			},
		})
		if err != nil {
			return err
		}

		// One job recording the stream into the bucket with that template.
		stage, err := imsrecord.NewLiveRecordJob(ctx, "stage", &imsrecord.LiveRecordJobArgs{
			Name:         pulumi.String("go-quickstart-stage"),
			StreamInput:  imsrecord.StreamInputArgs{Url: pulumi.String(streamURL)},
			RecordOutput: imsrecord.RecordOutputArgs{Bucket: pulumi.String(bucketName)},
			TemplateId:   hls.ID(),
		})
		if err != nil {
			return err
		}

		ctx.Export("templateId", hls.ID())
		ctx.Export("jobId", stage.JobId)
		ctx.Export("status", stage.Status)
		return nil
	})
}
